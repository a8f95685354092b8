package dev.errand.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

/** Without a browser the dashboard tests are skipped, loudly: never passed. */
class DashboardWithoutBrowserTest {
  @Test
  void a_missing_browser_skips_the_test_with_a_message_on_standard_error() {
    PrintStream err = System.err;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    System.setErr(new PrintStream(printed, true, StandardCharsets.UTF_8));
    try {
      assertThatThrownBy(
              () ->
                  Browser.assumeInstalled(
                      "the dashboard", Path.of("/nonexistent/chromium"), Browser.CHROMEDRIVER))
          .isInstanceOf(TestAbortedException.class)
          .hasMessageContaining("/nonexistent/chromium")
          .hasMessageContaining("THE DASHBOARD WAS NOT TESTED IN A BROWSER");
    } finally {
      System.setErr(err);
    }
    assertThat(printed.toString(StandardCharsets.UTF_8))
        .contains("SKIPPED")
        .contains("/nonexistent/chromium");
  }
}
