package dev.errand.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.errand.server.config.ServerConfig;
import dev.errand.server.config.ServerSetting;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command serves the five reference systems from one page, /demo. */
class DemoAppsTest {
  @TempDir Path dir;

  @Test
  void the_demo_server_lists_the_five_systems_on_its_demo_page() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    ServerConfig config =
        ServerConfig.load(
            Map.of(),
            null,
            Map.of(
                ServerSetting.STORE_URL,
                "jdbc:sqlite:" + dir.resolve("errand-demo.db"),
                ServerSetting.PORT,
                Integer.toString(port)));
    assertThat(Main.demoAppsDir(config)).isEqualTo(dir.resolve("errand-demo-apps"));
    AtomicReference<Throwable> failed = new AtomicReference<>();
    Thread run =
        new Thread(
            () -> {
              try {
                Main.run(config, 20);
              } catch (Throwable t) {
                failed.set(t);
              }
            },
            "demo-main");
    run.start();
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest demo =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/demo")).build();
    AtomicReference<String> body = new AtomicReference<>();
    await()
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(
            () -> {
              HttpResponse<String> r = http.send(demo, HttpResponse.BodyHandlers.ofString());
              body.set(r.body());
              return r.statusCode() == 200;
            });
    assertThat(body.get())
        .contains("Marketplace", "Civic reports", "Bug tracker jobs", "Recurring tasks")
        .contains("Kitchen production", "/examples/kitchen/dashboard");
    assertThat(Files.isDirectory(dir.resolve("errand-demo-apps"))).isTrue();
    run.interrupt(); // the demo loop ends early and the server closes, apps included
    run.join(60_000);
    assertThat(run.isAlive()).isFalse();
    assertThat(failed.get()).isNull();
  }
}
