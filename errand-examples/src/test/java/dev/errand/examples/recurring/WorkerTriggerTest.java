package dev.errand.examples.recurring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.errand.Job;
import dev.errand.JobQuery;
import dev.errand.JobState;
import dev.errand.JobType;
import dev.errand.examples.StubServer;
import dev.errand.examples.TestHttp;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** 003's worker trigger: retry with backoff, graceful degradation, permanent errors, error logs. */
class WorkerTriggerTest extends RecurringTasksTestBase {
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger triggerLog = (Logger) LoggerFactory.getLogger(WorkerTrigger.class);

  @BeforeEach
  void captureLogs() {
    logs.start();
    triggerLog.addAppender(logs);
  }

  @AfterEach
  void releaseLogs() {
    triggerLog.detachAppender(logs);
  }

  private List<Job> triggers() {
    return app.errand().jobs(JobQuery.all().type(WorkerTrigger.TYPE)).jobs();
  }

  @Test
  void retries_are_two_after_the_first_attempt_with_backoff_from_500_ms() {
    start(config());
    JobType<?> type = app.errand().type(WorkerTrigger.TYPE).orElseThrow();
    assertThat(type.maxAttempts()).isEqualTo(3);
    assertThat(type.backoff().delay(1)).isEqualTo(Duration.ofMillis(500));
    assertThat(type.backoff().delay(2)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void a_trigger_that_fails_twice_succeeds_on_its_third_attempt() {
    try (StubServer flaky = StubServer.failingThenForwarding(2, 503)) {
      start(config().internalBaseUrl(flaky.url()));
      flaky.forwardTo(app.baseUrl());
      String id =
          createTask("Daily Standup", "2024-02-01T09:00:00.000Z", "daily").get("_id").asText();

      assertThat(awaitDueDates(id, 3)).hasSize(3);
      assertThat(awaitTriggersSettled(JobState.SUCCEEDED)).isEqualTo(1);
      Job trigger = triggers().get(0);
      assertThat(trigger.attempt()).isEqualTo(3);
      assertThat(trigger.errors()).hasSize(2);
      assertThat(flaky.requests()).isEqualTo(3);
      assertThat(flaky.bodies().get(0))
          .contains("\"taskId\":\"" + id + "\"")
          .contains("\"operation\":\"create\"");
    }
  }

  @Test
  void a_down_worker_endpoint_never_breaks_the_main_request() {
    start(config().internalBaseUrl("http://127.0.0.1:" + TestHttp.closedPort()));

    TestHttp.Response created =
        http.post(
            "/tasks",
            "{\"title\":\"Daily Standup\",\"dueDate\":\"2024-02-01T09:00:00.000Z\",\"repeatType\":\"daily\"}");

    assertThat(created.status()).isEqualTo(201);
    String id = created.json().get("_id").asText();
    assertThat(awaitTriggersSettled(JobState.FAILED)).isEqualTo(1);
    Job trigger = triggers().get(0);
    assertThat(trigger.attempt()).isEqualTo(3);
    assertThat(trigger.errors()).hasSize(3);
    assertThat(http.get("/tasks/" + id).status()).isEqualTo(200);
    assertThat(http.get("/tasks").json()).hasSize(1);
    await()
        .atMost(WAIT)
        .until(() -> app.alerts().list().stream().anyMatch(a -> a.key().startsWith("job-failed:")));
  }

  @Test
  void every_failed_attempt_is_logged_with_its_context() {
    start(config().internalBaseUrl("http://127.0.0.1:" + TestHttp.closedPort()));
    String id =
        createTask("Daily Standup", "2024-02-01T09:00:00.000Z", "daily").get("_id").asText();
    awaitTriggersSettled(JobState.FAILED);

    List<Map<String, Object>> entries =
        logs.list.stream()
            .map(
                e ->
                    e.getKeyValuePairs().stream()
                        .collect(Collectors.toMap(kv -> kv.key, kv -> (Object) kv.value)))
            .toList();
    assertThat(entries).hasSize(3);
    Map<String, Object> second = entries.get(1);
    assertThat(second)
        .containsEntry("service", "TasksWorker")
        .containsEntry("operation", "processTaskCreation")
        .containsEntry("taskId", id)
        .containsEntry("userId", ALICE)
        .containsEntry("error", "internal API unreachable")
        .containsEntry("retryAttempt", 2)
        .containsEntry("maxRetries", 3);
    assertThat(String.valueOf(second.get("originalError"))).contains("ConnectException");
    assertThat(logs.list.get(1).getLevel().toString()).isEqualTo("ERROR");
  }

  @Test
  void a_refused_trigger_is_a_permanent_error_logged_and_not_retried() {
    try (StubServer refusing = StubServer.always(404)) {
      start(config().internalBaseUrl(refusing.url()));
      createTask("Daily Standup", "2024-02-01T09:00:00.000Z", "daily");

      assertThat(awaitTriggersSettled(JobState.FAILED)).isEqualTo(1);
      assertThat(triggers().get(0).attempt()).isEqualTo(1);
      assertThat(triggers().get(0).lastError()).contains("refused create").contains("404");
      assertThat(refusing.requests()).isEqualTo(1);
    }
  }

  @Test
  void a_silent_endpoint_times_out_and_counts_as_a_timeout() throws Exception {
    // a listening socket nobody answers on: connections are accepted by the kernel, never served
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      start(
          config()
              .internalBaseUrl("http://127.0.0.1:" + silent.getLocalPort())
              .timeout(Duration.ofMillis(300))
              .retryAttempts(1));
      createTask("Daily Standup", "2024-02-01T09:00:00.000Z", "daily");
      assertThat(awaitTriggersSettled(JobState.FAILED)).isEqualTo(1);
      assertThat(triggers().get(0).lastError()).contains("HttpTimeoutException");
      assertThat(app.workerService().processing().get("timeoutRate")).isEqualTo(100.0);
    }
  }
}
