package dev.errand.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.errand.JobState;
import dev.errand.server.config.ServerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the README's first command promises: the demo on SQLite succeeds, retries and dead-letters.
 */
class DemoTest {
  @TempDir Path dir;

  @Test
  void the_default_demo_on_sqlite_has_jobs_that_succeed_retry_and_are_dead_lettered() {
    ServerConfig config =
        ServerConfig.load(
            Map.of(),
            null,
            Map.of(
                dev.errand.server.config.ServerSetting.STORE_URL,
                "jdbc:sqlite:" + dir.resolve("demo.db"),
                dev.errand.server.config.ServerSetting.PORT,
                "0"));
    assertThat(config.demo()).isTrue();
    try (ErrandServer server = ErrandServer.create(config)) {
      Demo demo = new Demo(server.errand());
      server.start();
      demo.run(2);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> server.errand().counts().count(JobState.FAILED) > 0);
      assertThat(server.errand().counts().count(JobState.SUCCEEDED)).isPositive();
      assertThat(server.errand().typeNames())
          .contains("send-email", "resize-image", "build-report", "http");
    }
  }
}
