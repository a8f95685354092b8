package dev.errand.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.errand.Enqueue;
import dev.errand.Job;
import dev.errand.JobState;
import dev.errand.jdbc.PgTestDatabase;
import dev.errand.server.config.ServerConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The server wired from environment-style settings: http jobs on their queue, alerts to a webhook.
 */
class ErrandServerTest {
  @TempDir Path dir;
  private final List<String> alerts = new CopyOnWriteArrayList<>();
  private final CountDownLatch slowReleased = new CountDownLatch(1);
  private HttpServer remote;
  private ErrandServer server;
  private PgTestDatabase database;

  @BeforeEach
  void startRemote() throws IOException {
    remote = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    remote.createContext("/ok", x -> reply(x, 200, "fine"));
    remote.createContext("/gone", x -> reply(x, 410, "this hook was removed"));
    remote.createContext(
        "/slow",
        x -> {
          try {
            slowReleased.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          reply(x, 200, "late");
        });
    remote.createContext(
        "/alerts",
        x -> {
          alerts.add(new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          reply(x, 200, "ok");
        });
    remote.start();
  }

  private static void reply(com.sun.net.httpserver.HttpExchange x, int status, String body)
      throws IOException {
    x.getRequestBody().readAllBytes();
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    x.sendResponseHeaders(status, b.length);
    x.getResponseBody().write(b);
    x.close();
  }

  @AfterEach
  void stop() {
    slowReleased.countDown();
    if (server != null) {
      server.close();
    }
    if (database != null) {
      database.close();
    }
    remote.stop(0);
  }

  private String url(String path) {
    return "http://127.0.0.1:" + remote.getAddress().getPort() + path;
  }

  @ParameterizedTest(name = "on {0}")
  @ValueSource(strings = {"sqlite", "postgresql"})
  void http_jobs_run_on_the_configured_queue_and_a_dead_letter_reaches_the_configured_webhook(
      String store) throws Exception {
    Map<String, String> env = new HashMap<>();
    if (store.equals("sqlite")) {
      env.put("ERRAND_STORE_URL", "jdbc:sqlite:" + dir.resolve("server.db"));
    } else {
      database = PgTestDatabase.create();
      env.put("ERRAND_STORE_URL", database.jdbcUrl());
      env.put("ERRAND_STORE_POOL_SIZE", "4");
    }
    env.put("ERRAND_DEMO", "false");
    env.put("ERRAND_PORT", "0");
    env.put("ERRAND_QUEUES", "default=2,hooks=1");
    env.put("ERRAND_HTTP_QUEUE", "hooks");
    env.put("ERRAND_RETRY_MAX_ATTEMPTS", "2");
    env.put("ERRAND_RETRY_BACKOFF", "50ms");
    env.put("ERRAND_ALERT_WEBHOOK_URL", url("/alerts"));
    env.put("ERRAND_ALERT_LOG", "false");
    env.put("ERRAND_LEASE", "7s");
    server = ErrandServer.create(ServerConfig.load(env, null, Map.of())).start();
    assertThat(server.http().maxAttempts()).isEqualTo(2);
    assertThat(server.errand().store().getClass().getSimpleName())
        .isEqualTo(store.equals("sqlite") ? "SqliteJobStore" : "PostgresJobStore");

    Job ok =
        server
            .errand()
            .enqueueJson(
                "http", "{\"method\":\"GET\",\"url\":\"" + url("/ok") + "\"}", Enqueue.now())
            .await(Duration.ofSeconds(30));
    assertThat(ok.state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(ok.queue()).isEqualTo("hooks");

    // the HTTP API and the dashboard answer on the configured host, over a real socket
    HttpClient client = HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + server.web().port();
    HttpResponse<String> job =
        client.send(
            HttpRequest.newBuilder(URI.create(base + "/api/jobs/" + ok.id())).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(job.statusCode()).isEqualTo(200);
    assertThat(new ObjectMapper().readTree(job.body()).get("state").asText())
        .isEqualTo("SUCCEEDED");
    HttpResponse<String> page =
        client.send(
            HttpRequest.newBuilder(URI.create(server.dashboardUrl())).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("content-type").orElse("")).startsWith("text/html");
    // the built-in http type may be enqueued over HTTP (from loopback, as no key is configured)
    HttpResponse<String> enqueued =
        client.send(
            HttpRequest.newBuilder(URI.create(base + "/api/jobs"))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"type\":\"http\",\"payload\":{\"method\":\"GET\",\"url\":\""
                            + url("/ok")
                            + "\"}}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(enqueued.statusCode()).as(enqueued.body()).isBetween(200, 202);

    // ERRAND_LEASE reaches the engine: a running job's lease ends at most 7 s after its last
    // renewal (the default 15 s lease, renewed every 5 s, always ends 10 s or more ahead)
    long slowId =
        server
            .errand()
            .enqueueJson(
                "http", "{\"method\":\"GET\",\"url\":\"" + url("/slow") + "\"}", Enqueue.now())
            .id();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> server.errand().job(slowId).orElseThrow().state() == JobState.RUNNING);
    Job running = server.errand().job(slowId).orElseThrow();
    assertThat(running.leaseUntil())
        .isAfter(running.startedAt())
        .isBefore(Instant.now().plus(Duration.ofMillis(7_500)));
    slowReleased.countDown();
    assertThat(server.errand().handle(slowId).await(Duration.ofSeconds(30)).state())
        .isEqualTo(JobState.SUCCEEDED);

    Job gone =
        server
            .errand()
            .enqueue(server.http(), dev.errand.server.http.HttpCall.of("POST", url("/gone")))
            .await(Duration.ofSeconds(30));
    assertThat(gone.state()).isEqualTo(JobState.FAILED);
    await().atMost(Duration.ofSeconds(30)).until(() -> alerts.size() == 1);
    JsonNode alert = new ObjectMapper().readTree(alerts.get(0));
    assertThat(alert.get("text").asText())
        .contains("job " + gone.id() + " (http, queue hooks) was dead-lettered")
        .contains("answered 410: this hook was removed");
    assertThat(alert.get("alert").get("fields").get("type").asText()).isEqualTo("http");
  }
}
