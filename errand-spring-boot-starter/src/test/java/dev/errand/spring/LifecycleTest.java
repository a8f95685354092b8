package dev.errand.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.errand.Errand;
import dev.errand.JobType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The engine's life follows the context's: started on refresh, stopped gracefully on close. */
class LifecycleTest {
  record Work(String name) {}

  private Path dir;
  private Path file;
  private final CountDownLatch started = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);

  @BeforeEach
  void createDirectory() throws Exception {
    dir = Files.createTempDirectory("errand-lifecycle");
    file = dir.resolve("app.db");
  }

  @AfterEach
  void deleteDirectory() {
    SqliteApplicationTest.deleteRecursively(dir);
  }

  private String stateInFile(long id) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        PreparedStatement ps = c.prepareStatement("SELECT state FROM errand_jobs WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  @Test
  void closing_the_context_lets_a_running_job_finish_and_writes_its_outcome() throws Exception {
    long[] id = new long[1];
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(DataSourceAutoConfiguration.class, ErrandAutoConfiguration.class))
        .withPropertyValues(
            "spring.datasource.url=" + SqliteApplicationTest.url(file), "errand.shutdown-grace=30s")
        .withBean(
            "work",
            JobType.class,
            () ->
                JobType.of(
                    "work",
                    Work.class,
                    (ctx, w) -> {
                      started.countDown();
                      release.await(); // interrupted if shutdown gives up on it
                    }))
        .run(
            context -> {
              Errand errand = context.getBean(Errand.class);
              id[0] = context.getBean(JobEnqueuer.class).enqueue("work", new Work("long")).id();
              assertThat(started.await(20, TimeUnit.SECONDS)).isTrue();

              Thread closer = new Thread(context::close, "test-context-close");
              closer.start();
              await()
                  .atMost(Duration.ofSeconds(10))
                  .until(() -> errand.lifecycle() == Errand.Lifecycle.STOPPING);
              assertThat(closer.isAlive()).as("close waits for the running job").isTrue();
              release.countDown();
              closer.join(TimeUnit.SECONDS.toMillis(30));

              assertThat(closer.isAlive()).isFalse();
              assertThat(errand.lifecycle()).isEqualTo(Errand.Lifecycle.TERMINATED);
            });
    assertThat(stateInFile(id[0])).isEqualTo("SUCCEEDED");
  }
}
