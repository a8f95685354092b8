package dev.errand.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.errand.spring.app.Ran;
import dev.errand.spring.app.Signups;
import dev.errand.spring.app.TestApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The SQLite setup docs/spring-boot.md prescribes, and what the starter refuses. The application's
 * pool and Errand's store write one file; SQLite lets one connection write at a time, so every
 * transaction must take the write lock when it begins (IMMEDIATE) and wait for it (busy timeout).
 */
class SqliteSetupTest {
  private Path dir;

  @BeforeEach
  void createDirectory() throws Exception {
    dir = Files.createTempDirectory("errand-sqlite-setup");
  }

  @AfterEach
  void deleteDirectory() {
    SqliteApplicationTest.deleteRecursively(dir);
  }

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(
                DataSourceAutoConfiguration.class, ErrandAutoConfiguration.class));
  }

  @Test
  void a_datasource_that_begins_transactions_deferred_is_refused_with_the_fix() {
    runner()
        .withPropertyValues("spring.datasource.url=jdbc:sqlite:" + dir.resolve("app.db"))
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining("begins transactions DEFERRED")
                    .hasStackTraceContaining("Add transaction_mode=IMMEDIATE to the URL"));
  }

  @Test
  void the_deferred_check_can_be_turned_off() {
    runner()
        .withPropertyValues(
            "spring.datasource.url=jdbc:sqlite:" + dir.resolve("app.db"),
            "errand.sqlite.require-immediate-transactions=false")
        .run(context -> assertThat(context).hasNotFailed());
  }

  @Test
  void an_in_memory_database_is_refused_with_the_fix() {
    runner()
        .withPropertyValues("spring.datasource.url=jdbc:sqlite::memory:?transaction_mode=IMMEDIATE")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining("is in memory or temporary")
                    .hasStackTraceContaining("use a file"));
  }

  /** With one connection the application serializes in the pool, with four in SQLite's lock. */
  @ParameterizedTest(name = "pool of {0}")
  @ValueSource(ints = {1, 4})
  void concurrent_transactions_of_the_pool_and_errand_writes_on_one_file_all_commit(int poolSize)
      throws Exception {
    int threads = 8;
    int perThread = 25;
    try (ConfigurableApplicationContext context =
        new SpringApplicationBuilder(TestApp.class)
            .web(WebApplicationType.NONE)
            .properties(
                "spring.datasource.url=" + SqliteApplicationTest.url(dir.resolve("app.db")),
                "spring.datasource.hikari.maximum-pool-size=" + poolSize,
                "errand.queues.default=8")
            .run()) {
      Signups signups = context.getBean(Signups.class);
      Ran ran = context.getBean(Ran.class);
      signups.createTable();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int thread = t;
          // Each transaction reads, inserts and enqueues while Errand claims and completes the
          // jobs of earlier ones on its own connection: the pattern that fails under DEFERRED.
          done.add(
              pool.submit(
                  () -> {
                    for (int i = 0; i < perThread; i++) {
                      signups.signUp("user-" + thread + "-" + i, false);
                    }
                    return null;
                  }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } finally {
        pool.shutdown();
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> ran.welcomed.size() == threads * perThread);
      for (int t = 0; t < threads; t++) {
        assertThat(signups.exists("user-" + t + "-" + (perThread - 1))).isTrue();
      }
      assertThat(ran.welcomed).doesNotHaveDuplicates();
    }
  }
}
