package dev.errand.web;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.Errand;
import dev.errand.Job;
import dev.errand.JobState;
import dev.errand.JobType;
import dev.errand.PermanentFailure;
import dev.errand.jdbc.SqliteJobStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * A real engine on a SQLite file, an {@link ErrandWeb} on its own server on a free loopback port,
 * and a JDK HTTP client. Job types: {@code send-email} (remotely enqueueable; {@code password} is
 * redacted), {@code fail} (fails permanently), {@code flaky} (fails its first attempt), {@code
 * block} (runs until {@link #release}), {@code slow} (times out), and {@code internal} (registered
 * but not remotely enqueueable).
 */
final class WebFixture implements AutoCloseable {
  record Email(String to, String subject, String password) {}

  record Nothing() {}

  record Res(int status, String body, java.net.http.HttpHeaders headers) {
    JsonNode json() {
      try {
        return Json.MAPPER.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON (" + status + "): " + body, e);
      }
    }

    /** The stable error code of an error answer. */
    String code() {
      JsonNode n = json().path("error");
      if (n.isMissingNode()) {
        throw new AssertionError("not an error answer (" + status + "): " + body);
      }
      return n.path("code").asText();
    }

    String message() {
      return json().path("error").path("message").asText();
    }
  }

  final Errand errand;
  final ErrandWeb web;
  final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final JobType<Email> email;
  final JobType<Nothing> block;
  private volatile CountDownLatch blocker = new CountDownLatch(1);
  String key;

  WebFixture(Path dir, Consumer<WebConfig.Builder> web) {
    this(dir, web, b -> {});
  }

  WebFixture(Path dir, Consumer<WebConfig.Builder> web, Consumer<Errand.Builder> engine) {
    Errand.Builder b =
        Errand.builder()
            .store(SqliteJobStore.file(dir.resolve("web.db")))
            .meterRegistry(registry)
            .queue("default", 4)
            .queue("other", 1)
            .pollInterval(Duration.ofMillis(50))
            .schedulerInterval(Duration.ofMillis(100))
            .shutdownGrace(Duration.ofSeconds(1))
            .nodeHeartbeatInterval(Duration.ofMillis(200));
    engine.accept(b);
    errand = b.build();
    email =
        errand.register(
            JobType.of(
                "send-email",
                Email.class,
                (ctx, e) ->
                    ctx.result(
                        java.util.Map.of(
                            "sentTo",
                            e.to(),
                            "password",
                            e.password() == null ? "" : e.password()))));
    errand.register(
        JobType.of(
            "fail",
            Nothing.class,
            (ctx, n) -> {
              throw new PermanentFailure("the mail server said no");
            }));
    errand.register(
        JobType.of(
                "flaky",
                Nothing.class,
                (ctx, n) -> {
                  if (ctx.attempt() == 1) {
                    throw new IllegalStateException("first attempt fails");
                  }
                })
            .backoff(dev.errand.Backoff.exponential(Duration.ofMillis(10))));
    block = errand.register(JobType.of("block", Nothing.class, (ctx, n) -> blocker.await()));
    errand.register(
        JobType.of("slow", Nothing.class, (ctx, n) -> new CountDownLatch(1).await())
            .timeout(Duration.ofMillis(100))
            .maxAttempts(1));
    errand.register(JobType.of("internal", Nothing.class, (ctx, n) -> {}));
    errand.start();
    WebConfig.Builder cfg =
        WebConfig.builder()
            .port(0)
            .remoteEnqueue("send-email", "fail", "flaky", "block", "slow")
            .redact("password");
    web.accept(cfg);
    this.web = ErrandWeb.create(errand, cfg.build()).start();
  }

  /** Lets every running and future {@code block} job finish. */
  void release() {
    blocker.countDown();
  }

  String base() {
    return "http://127.0.0.1:" + web.port();
  }

  HttpRequest.Builder request(String path) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(20));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return b;
  }

  Res get(String path) {
    return send(request(path).GET());
  }

  Res post(String path, String json) {
    return send(
        request(path)
            .header("Content-Type", "application/json")
            .POST(
                json == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json)));
  }

  Res delete(String path) {
    return send(request(path).header("Content-Type", "application/json").DELETE());
  }

  Res send(HttpRequest.Builder b) {
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Res(r.statusCode(), r.body(), r.headers());
    } catch (IOException e) {
      throw new AssertionError(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Enqueues over HTTP and returns the new job's id. */
  long enqueue(String json) {
    Res r = post("/api/jobs", json);
    if (r.status() != 201) {
      throw new AssertionError("enqueue failed: " + r.status() + " " + r.body());
    }
    return r.json().path("id").asLong();
  }

  Job awaitState(long id, JobState state) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> errand.job(id).map(Job::state).orElse(null) == state);
    return errand.job(id).orElseThrow();
  }

  @Override
  public void close() {
    release();
    web.close();
    errand.close();
  }
}
