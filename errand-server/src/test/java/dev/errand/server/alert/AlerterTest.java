package dev.errand.server.alert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.errand.Errand;
import dev.errand.JobEvent;
import dev.errand.JobType;
import dev.errand.MemoryJobStore;
import dev.errand.PermanentFailure;
import dev.errand.TestClock;
import dev.errand.jdbc.SqliteJobStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlerterTest {
  /** A sink that keeps what it is given, and the thread that gave it. */
  static final class Recording implements AlertSink {
    final List<Alert> alerts = new CopyOnWriteArrayList<>();
    final List<String> threads = new CopyOnWriteArrayList<>();

    @Override
    public String name() {
      return "recording";
    }

    @Override
    public void send(Alert alert) {
      threads.add(Thread.currentThread().getName());
      alerts.add(alert);
    }
  }

  public record Order(int id) {}

  @TempDir Path dir;
  private final ObjectMapper json = new ObjectMapper();
  private final TestClock clock = new TestClock(Instant.parse("2026-12-01T10:00:00Z"));
  private final List<AutoCloseable> closing = new ArrayList<>();
  private WebhookReceiver receiver;

  @BeforeEach
  void startReceiver() throws Exception {
    receiver = new WebhookReceiver();
  }

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    receiver.close();
  }

  private <T extends AutoCloseable> T closeLater(T c) {
    closing.add(c);
    return c;
  }

  private Errand memoryEngine() {
    return closeLater(Errand.builder().store(MemoryJobStore.create()).build());
  }

  private Alerter started(Alerter.Builder b) {
    return closeLater(b.build().start());
  }

  private JobEvent event(JobEvent.Kind kind, long id, String type) {
    return new JobEvent(
        kind,
        id,
        type,
        "default",
        3,
        clock.instant(),
        "node-a",
        kind == JobEvent.Kind.FAILED ? "java.io.IOException: smtp down" : null);
  }

  @Test
  void a_dead_lettered_job_reaches_a_real_webhook_as_slack_compatible_json() throws Exception {
    Errand errand =
        closeLater(
            Errand.builder()
                .store(SqliteJobStore.file(dir.resolve("alerts.db")))
                .queue("default", 2)
                .pollInterval(Duration.ofMillis(200))
                .build());
    JobType<Order> type =
        errand.register(
            JobType.of(
                "charge-card",
                Order.class,
                (ctx, o) -> {
                  throw new PermanentFailure("card " + o.id() + " was declined");
                }));
    started(Alerter.builder(errand).sink(WebhookAlertSink.to(receiver.url())));
    errand.start();
    long id = errand.enqueue(type, new Order(7)).id();

    await().atMost(Duration.ofSeconds(30)).until(() -> receiver.bodies.size() == 1);
    JsonNode body = json.readTree(receiver.bodies.get(0));
    assertThat(body.get("text").asText())
        .startsWith(
            "[errand] job_dead: job "
                + id
                + " (charge-card, queue default) was dead-lettered after attempt 1")
        .endsWith("card 7 was declined");
    JsonNode alert = body.get("alert");
    assertThat(alert.get("kind").asText()).isEqualTo("job_dead");
    assertThat(alert.get("key").asText()).isEqualTo("job_dead:charge-card");
    assertThat(alert.get("suppressed").asInt()).isZero();
    assertThat(alert.get("fields").get("job_id").asText()).isEqualTo(Long.toString(id));
    assertThat(alert.get("fields").get("type").asText()).isEqualTo("charge-card");
    assertThat(alert.get("fields").get("error").asText())
        .isEqualTo("dev.errand.PermanentFailure: card 7 was declined");
  }

  @Test
  void alerts_with_one_key_are_sent_once_per_cool_down_and_the_next_one_counts_those_held_back() {
    Recording sink = new Recording();
    Alerter alerter =
        started(
            Alerter.builder(memoryEngine())
                .sink(sink)
                .clock(clock)
                .coolDown(Duration.ofMinutes(10)));
    alerter.onEvent(event(JobEvent.Kind.FAILED, 1, "email"));
    alerter.onEvent(event(JobEvent.Kind.FAILED, 2, "email"));
    clock.advance(Duration.ofMinutes(9));
    alerter.onEvent(event(JobEvent.Kind.FAILED, 3, "email"));
    alerter.onEvent(event(JobEvent.Kind.FAILED, 4, "report"));
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.alerts.size() == 2);
    assertThat(sink.alerts)
        .extracting(Alert::key)
        .containsExactly("job_dead:email", "job_dead:report");

    clock.advance(Duration.ofMinutes(1));
    alerter.onEvent(event(JobEvent.Kind.FAILED, 5, "email"));
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.alerts.size() == 3);
    Alert third = sink.alerts.get(2);
    assertThat(third.fields()).containsEntry("job_id", "5");
    assertThat(third.suppressed()).isEqualTo(2);
    assertThat(third.summary()).endsWith("(2 more like this during the cool-down)");
    assertThat(sink.threads).containsOnly("errand-alerts");
  }

  @Test
  void a_failure_rate_at_the_threshold_over_the_window_raises_one_alert_and_old_attempts_age_out() {
    Recording sink = new Recording();
    Alerter alerter =
        started(
            Alerter.builder(memoryEngine())
                .sink(sink)
                .clock(clock)
                .deadLetters(false)
                .failureRate(0.5)
                .minAttempts(10)
                .window(Duration.ofMinutes(5))
                .coolDown(Duration.ofMinutes(1)));
    for (int i = 0; i < 5; i++) {
      alerter.onEvent(event(JobEvent.Kind.RETRY_SCHEDULED, i, "flaky"));
      alerter.onEvent(event(JobEvent.Kind.SUCCEEDED, i, "flaky"));
      alerter.onEvent(event(JobEvent.Kind.SUCCEEDED, i, "steady"));
    }
    for (int i = 0; i < 4; i++) {
      alerter.onEvent(event(JobEvent.Kind.RETRY_SCHEDULED, i, "steady"));
      alerter.onEvent(event(JobEvent.Kind.FAILED, i, "rare")); // 100% failed, but below minAttempts
    }
    alerter.onEvent(event(JobEvent.Kind.SUCCEEDED, 9, "steady")); // steady: 4 of 10 failed
    alerter.check();
    alerter.check();
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.alerts.size() == 1);
    Alert a = sink.alerts.get(0);
    assertThat(a.kind()).isEqualTo(Alert.Kind.FAILURE_RATE);
    assertThat(a.key()).isEqualTo("failure_rate:flaky");
    assertThat(a.fields())
        .containsEntry("failed_attempts", "5")
        .containsEntry("attempts", "10")
        .containsEntry("failure_rate", "0.500");

    clock.advance(
        Duration.ofMinutes(6)); // past the window and the cool-down: nothing left to count
    alerter.check();
    alerter.onEvent(event(JobEvent.Kind.FAILED, 99, "rare"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> alerter.delivered() == 1 && sink.alerts.size() == 1);
    assertThat(sink.alerts).hasSize(1);
  }

  @Test
  void a_node_whose_heartbeat_is_older_than_the_limit_raises_one_alert() throws Exception {
    Errand errand =
        closeLater(
            Errand.builder()
                .store(SqliteJobStore.file(dir.resolve("nodes.db")))
                .queue("default", 1)
                .build());
    errand.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> !errand.nodes().isEmpty());
    Instant heartbeat = errand.nodes().get(0).heartbeatAt();
    TestClock at = new TestClock(heartbeat.plusSeconds(30));
    Recording sink = new Recording();
    Alerter alerter =
        started(Alerter.builder(errand).sink(sink).clock(at).nodeStaleAfter(Duration.ofMinutes(1)));
    alerter.check();
    at.set(heartbeat.plus(Duration.ofMinutes(5)));
    alerter.check();
    alerter.check();
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.alerts.size() == 1);
    Alert a = sink.alerts.get(0);
    assertThat(a.kind()).isEqualTo(Alert.Kind.NODE_UNHEALTHY);
    assertThat(a.key()).isEqualTo("node_unhealthy:" + errand.nodeId());
    assertThat(a.fields()).containsEntry("node", errand.nodeId()).containsEntry("limit", "PT1M");
    assertThat(a.text()).contains("has not sent a heartbeat for");
    assertThat(alerter.delivered()).isEqualTo(1);
  }

  @Test
  void a_failing_webhook_is_retried_and_an_alert_it_never_takes_is_counted_undelivered()
      throws Exception {
    receiver.answer(n -> n <= 2 ? 500 : 200);
    Errand errand = memoryEngine();
    Alerter alerter =
        started(
            Alerter.builder(errand)
                .sink(WebhookAlertSink.to(receiver.url()))
                .clock(clock)
                .retryPause(Duration.ofMillis(10))
                .deliveryAttempts(3));
    alerter.onEvent(event(JobEvent.Kind.FAILED, 1, "email"));
    await().atMost(Duration.ofSeconds(10)).until(() -> alerter.delivered() == 1);
    assertThat(receiver.requests.get()).isEqualTo(3);
    assertThat(receiver.bodies).hasSize(1);

    receiver.answer(n -> 503);
    alerter.onEvent(event(JobEvent.Kind.FAILED, 2, "report"));
    await().atMost(Duration.ofSeconds(10)).until(() -> alerter.undelivered() == 1);
    assertThat(receiver.requests.get()).isEqualTo(6);
    assertThat(alerter.delivered()).isEqualTo(1);
    io.micrometer.core.instrument.MeterRegistry meters = errand.meterRegistry();
    assertThat(meters.counter("errand.alerts", "kind", "job_dead", "outcome", "raised").count())
        .isEqualTo(2);
    assertThat(meters.counter("errand.alerts", "kind", "job_dead", "outcome", "delivered").count())
        .isEqualTo(1);
    assertThat(
            meters.counter("errand.alerts", "kind", "job_dead", "outcome", "undelivered").count())
        .isEqualTo(1);
  }

  @Test
  void a_slow_webhook_never_blocks_the_caller_and_overflow_is_dropped_and_counted()
      throws Exception {
    receiver.hold();
    Alerter alerter =
        started(
            Alerter.builder(memoryEngine())
                .sink(WebhookAlertSink.to(receiver.url()))
                .clock(clock)
                .queueCapacity(3)
                .closeGrace(Duration.ofSeconds(10)));
    int accepted = 0;
    for (int i = 0; i < 50; i++) {
      accepted +=
          alerter.raise(Alert.Kind.JOB_DEAD, "type-" + i, "job " + i + " died", java.util.Map.of())
              ? 1
              : 0;
    }
    int queued = accepted;
    // every raise returned while the webhook holds its first request; at most one is in flight
    assertThat(queued).isBetween(3, 4);
    assertThat(alerter.dropped()).isEqualTo(50 - queued);
    receiver.release();
    await().atMost(Duration.ofSeconds(10)).until(() -> alerter.delivered() == queued);
    assertThat(receiver.bodies).hasSize(queued);
  }

  @Test
  void builder_rejects_bad_settings_with_the_value_named() {
    Alerter.Builder b = Alerter.builder(memoryEngine());
    assertThatThrownBy(() -> b.failureRate(1.5)).hasMessageContaining("got 1.5");
    assertThatThrownBy(() -> b.failureRate(0)).hasMessageContaining("got 0.0");
    assertThatThrownBy(() -> b.coolDown(Duration.ZERO))
        .hasMessageContaining("coolDown must be positive, got PT0S");
    assertThatThrownBy(() -> b.minAttempts(0)).hasMessageContaining("got 0");
    assertThatThrownBy(() -> b.window(Duration.ofMillis(10))).hasMessageContaining("at least 1 s");
    assertThatThrownBy(b::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("at least one sink");
    assertThatThrownBy(() -> WebhookAlertSink.to("ftp://hooks.example.com/x"))
        .hasMessageContaining("scheme 'ftp'");
  }

  @Test
  void the_log_sink_writes_one_warn_line_with_the_alert_as_key_values() {
    ch.qos.logback.classic.Logger logger =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(LogAlertSink.LOGGER);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> appender =
        new ch.qos.logback.core.read.ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    try {
      new LogAlertSink()
          .send(
              new Alert(
                  Alert.Kind.NODE_UNHEALTHY,
                  "node_unhealthy:n1",
                  "node n1 is silent",
                  java.util.Map.of("node", "n1"),
                  clock.instant(),
                  2));
      assertThat(appender.list)
          .singleElement()
          .satisfies(
              e -> {
                assertThat(e.getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN);
                assertThat(e.getFormattedMessage())
                    .isEqualTo("alert: node n1 is silent (2 more like this during the cool-down)");
                assertThat(e.getKeyValuePairs())
                    .extracting(kv -> kv.key + "=" + kv.value)
                    .containsExactly(
                        "alert_kind=node_unhealthy",
                        "alert_key=node_unhealthy:n1",
                        "suppressed=2",
                        "node=n1");
              });
    } finally {
      logger.detachAppender(appender);
    }
  }
}
