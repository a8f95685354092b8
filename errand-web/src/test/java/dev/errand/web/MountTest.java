package dev.errand.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.errand.JobState;
import dev.errand.web.WebFixture.Res;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API mounted into an application's own Javalin under a path prefix. */
class MountTest {
  @TempDir Path dir;

  @Test
  void mounted_routes_live_under_the_prefix_beside_the_application_routes() {
    try (WebFixture f = new WebFixture(dir, b -> {})) {
      ErrandWeb web =
          ErrandWeb.create(
              f.errand,
              WebConfig.builder().pathPrefix("/errand").remoteEnqueue("send-email").build());
      Javalin app =
          Javalin.create(
                  cfg -> {
                    cfg.startup.showJavalinBanner = false;
                    cfg.jetty.host = "127.0.0.1";
                    cfg.jetty.port = 0;
                    cfg.routes.get("/hello", ctx -> ctx.result("app"));
                    web.mount(cfg);
                  })
              .start();
      try {
        String base = "http://127.0.0.1:" + app.port();
        assertThat(f.send(HttpRequest.newBuilder(URI.create(base + "/hello"))).body())
            .isEqualTo("app");
        Res enqueued =
            f.send(
                HttpRequest.newBuilder(URI.create(base + "/errand/api/jobs"))
                    .header("Content-Type", "application/json")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            "{\"type\":\"send-email\",\"payload\":{\"to\":\"a\",\"subject\":\"s\",\"password\":null}}")));
        assertThat(enqueued.status()).isEqualTo(201);
        f.awaitState(enqueued.json().path("id").asLong(), JobState.SUCCEEDED);
        Res job =
            f.send(
                HttpRequest.newBuilder(
                    URI.create(base + "/errand/api/jobs/" + enqueued.json().path("id").asLong())));
        assertThat(job.json().path("state").asText()).isEqualTo("SUCCEEDED");
        Res bad = f.send(HttpRequest.newBuilder(URI.create(base + "/errand/api/jobs?limit=0")));
        assertThat(bad.code()).isEqualTo("invalid_parameter");
        assertThat(f.send(HttpRequest.newBuilder(URI.create(base + "/api/jobs"))).status())
            .as("nothing outside the prefix")
            .isEqualTo(404);
        assertThat(web.internalErrors()).isZero();
      } finally {
        app.stop();
        web.close();
      }
    }
  }
}
