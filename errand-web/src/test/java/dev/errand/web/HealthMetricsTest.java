package dev.errand.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.Errand;
import dev.errand.JobState;
import dev.errand.jdbc.SqliteJobStore;
import dev.errand.web.WebFixture.Res;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Liveness, readiness (store, heartbeats, failure rate) and Prometheus metrics. */
class HealthMetricsTest {
  @TempDir Path dir;
  WebFixture f;

  @AfterEach
  void stop() {
    if (f != null) {
      f.close();
    }
  }

  @Test
  void a_running_engine_is_live_and_ready_with_every_check_up() {
    f = new WebFixture(dir, b -> {});
    Res live = f.get("/health/live");
    assertThat(live.status()).isEqualTo(200);
    assertThat(live.json().path("status").asText()).isEqualTo("UP");
    for (String path : new String[] {"/health", "/health/ready"}) {
      Res ready = f.get(path);
      assertThat(ready.status()).isEqualTo(200);
      JsonNode checks = ready.json().path("checks");
      assertThat(ready.json().path("status").asText()).isEqualTo("UP");
      assertThat(checks.path("store").path("status").asText()).isEqualTo("UP");
      assertThat(checks.path("workers").path("status").asText()).isEqualTo("UP");
      assertThat(checks.path("workers").path("heartbeating").asInt()).isEqualTo(1);
      assertThat(checks.path("engine").path("status").asText()).isEqualTo("UP");
    }
    assertThat(f.web.internalErrors()).isZero();
  }

  @Test
  void metrics_can_be_left_out_of_a_mount() {
    f = new WebFixture(dir, b -> b.metrics(false));
    Res m = f.get("/metrics");
    assertThat(m.status()).isEqualTo(404);
    assertThat(m.code()).isEqualTo("route_not_found");
    assertThat(f.get("/health/live").status()).isEqualTo(200);
  }

  @Test
  void a_high_failure_rate_warns_without_making_the_node_unready() {
    f = new WebFixture(dir, b -> b.failureRateWarning(0.2));
    for (int i = 0; i < 3; i++) {
      f.awaitState(f.enqueue("{\"type\":\"fail\",\"payload\":{}}"), JobState.FAILED);
    }
    Res ready = f.get("/health/ready");
    assertThat(ready.status()).isEqualTo(200);
    JsonNode rate = ready.json().path("checks").path("failureRate");
    assertThat(rate.path("status").asText()).isEqualTo("WARN");
    assertThat(rate.path("detail").asText()).contains("failed").contains("warning above 20.0%");
  }

  @Test
  void a_stopped_engine_is_live_but_not_ready_and_answers_503() {
    f = new WebFixture(dir, b -> {});
    f.errand.close();
    Res ready = f.get("/health");
    assertThat(ready.status()).isEqualTo(503);
    assertThat(ready.json().path("status").asText()).isEqualTo("DOWN");
    assertThat(ready.json().path("checks").path("engine").path("status").asText())
        .isEqualTo("DOWN");
    assertThat(f.get("/health/live").status()).isEqualTo(200);
  }

  @Test
  void a_real_server_fault_is_a_logged_json_500() {
    f = new WebFixture(dir, b -> {});
    f.errand.close(); // closes the store under the API
    Res r = f.get("/api/jobs");
    assertThat(r.status()).isEqualTo(500);
    assertThat(r.code()).isEqualTo("internal_error");
    assertThat(r.message()).contains("not in the request");
    assertThat(f.web.internalErrors()).isEqualTo(1);
  }

  @Test
  void an_engine_without_heartbeating_nodes_is_not_ready() {
    f = new WebFixture(dir, b -> {});
    Errand idle =
        Errand.builder()
            .store(SqliteJobStore.file(dir.resolve("idle.db")))
            .scheduler(false)
            .build();
    idle.store().open();
    try (ErrandWeb web = ErrandWeb.create(idle, WebConfig.builder().port(0).build()).start()) {
      Res r =
          f.send(
              HttpRequest.newBuilder(
                  URI.create("http://127.0.0.1:" + web.port() + "/health/ready")));
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.json().path("checks").path("workers").path("status").asText()).isEqualTo("DOWN");
      assertThat(r.json().path("checks").path("workers").path("detail").asText())
          .contains("0 of 0 nodes");
      assertThat(web.internalErrors()).isZero();
    } finally {
      idle.close();
    }
  }

  @Test
  void metrics_are_prometheus_text_with_errand_meters() {
    f = new WebFixture(dir, b -> {});
    f.awaitState(f.enqueue("{\"type\":\"flaky\",\"payload\":{}}"), JobState.SUCCEEDED);
    Res m = f.get("/metrics");
    assertThat(m.status()).isEqualTo(200);
    assertThat(m.headers().firstValue("Content-Type").orElse(""))
        .startsWith("text/plain; version=0.0.4");
    assertThat(m.body())
        .contains("# TYPE errand_jobs_enqueued_total counter")
        .contains("errand_jobs_succeeded_total{queue=\"default\",type=\"flaky\"} 1.0")
        .contains("errand_jobs_retried_total{queue=\"default\",type=\"flaky\"} 1.0")
        .contains("errand_jobs_duration_seconds");
  }

  @Test
  void metrics_come_from_a_composite_registry_and_are_refused_clearly_from_a_simple_one() {
    f = new WebFixture(dir, b -> {});
    CompositeMeterRegistry composite = new CompositeMeterRegistry();
    Errand withComposite =
        Errand.builder()
            .store(SqliteJobStore.file(dir.resolve("c.db")))
            .meterRegistry(composite)
            .scheduler(false)
            .build();
    Errand withSimple =
        Errand.builder()
            .store(SqliteJobStore.file(dir.resolve("s.db")))
            .meterRegistry(new SimpleMeterRegistry())
            .scheduler(false)
            .build();
    try (ErrandWeb c =
            ErrandWeb.create(withComposite, WebConfig.builder().port(0).build()).start();
        ErrandWeb s = ErrandWeb.create(withSimple, WebConfig.builder().port(0).build()).start()) {
      composite.counter("errand.test.counter").increment();
      Res ok =
          f.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.port() + "/metrics")));
      assertThat(ok.status()).isEqualTo(200);
      assertThat(ok.body()).contains("errand_test_counter_total 1.0");
      Res refused =
          f.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/metrics")));
      assertThat(refused.status()).isEqualTo(404);
      assertThat(refused.code()).isEqualTo("metrics_unavailable");
      assertThat(refused.message()).contains("PrometheusMeterRegistry");
    } finally {
      withComposite.close();
      withSimple.close();
    }
  }
}
