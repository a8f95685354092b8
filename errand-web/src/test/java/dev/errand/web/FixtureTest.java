package dev.errand.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fresh {@link WebFixture} per test; after each test, asserts that no request reached the 500
 * catch-all.
 */
abstract class FixtureTest {
  @TempDir Path dir;
  WebFixture f;

  /** Adjusts the web configuration of every test in the class. */
  void configure(WebConfig.Builder b) {}

  @BeforeEach
  void startFixture() {
    f = new WebFixture(dir, this::configure);
  }

  @AfterEach
  void noRequestReachedTheCatchAll() {
    try {
      assertThat(f.web.internalErrors()).as("requests answered by the 500 catch-all").isZero();
    } finally {
      f.close();
    }
  }
}
