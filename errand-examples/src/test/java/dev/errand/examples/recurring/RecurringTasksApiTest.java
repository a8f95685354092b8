package dev.errand.examples.recurring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.JobState;
import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.TestHttp;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * 003's internal API examples (request and response of each endpoint, validation, health, stats,
 * troubleshooting commands, indexes) against a running app on SQLite.
 */
class RecurringTasksApiTest extends RecurringTasksTestBase {
  private static final String KEY = "your-secret-key";

  @Test
  void process_task_recurrence_answers_with_the_created_instances() {
    start(config());
    String id =
        createTask("Daily Standup", "2024-02-01T09:00:00.000Z", "daily").get("_id").asText();

    TestHttp.Response r =
        internal.post(
            "/internal/worker/tasks/recurrence",
            "{\"taskId\":\"" + id + "\",\"operation\":\"create\",\"userId\":\"" + ALICE + "\"}");

    assertThat(r.status()).isEqualTo(200);
    JsonNode body = r.json();
    assertThat(body.get("success").asBoolean()).isTrue();
    assertThat(body.get("message").asText())
        .isEqualTo("Successfully processed create for task " + id);
    JsonNode data = body.get("data");
    assertThat(data.get("success").asBoolean()).isTrue();
    assertThat(data.get("operation").asText()).isEqualTo("create");
    assertThat(data.get("taskId").asText()).isEqualTo(id);
    assertThat(data.get("result")).hasSize(3);
    JsonNode first = data.get("result").get(0);
    assertThat(first.get("_id").asText()).isNotEqualTo(id);
    assertThat(first.get("title").asText()).isEqualTo("Daily Standup");
    assertThat(first.get("dueDate").asText()).isEqualTo("2024-02-02T09:00:00.000Z");
    assertThat(first.get("parentRecurringId").asText()).isEqualTo(id);
    // the trigger ran create as well: still three instances, not six
    awaitTriggersSettled(JobState.SUCCEEDED);
    assertThat(dueDates(id)).hasSize(3);
  }

  @Test
  void delete_needs_a_user_id_and_returns_the_count_of_deleted_instances() {
    start(config());
    String id =
        createTask("Monthly Report", "2024-02-01T10:00:00.000Z", "monthly").get("_id").asText();
    awaitDueDates(id, 3);
    awaitTriggersSettled(JobState.SUCCEEDED);

    TestHttp.Response missingUser =
        internal.post(
            "/internal/worker/tasks/recurrence",
            "{\"taskId\":\"" + id + "\",\"operation\":\"delete\"}");
    assertThat(missingUser.status()).isEqualTo(400);
    assertThat(missingUser.json().get("message").asText())
        .isEqualTo("userId is required for delete");

    TestHttp.Response r =
        internal.post(
            "/internal/worker/tasks/recurrence",
            "{\"taskId\":\"" + id + "\",\"operation\":\"delete\",\"userId\":\"" + ALICE + "\"}");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("data").get("result").get("deletedCount").asInt()).isEqualTo(3);
    assertThat(dueDates(id)).isEmpty();
  }

  @Test
  void unknown_tasks_and_operations_are_client_errors() {
    start(config());
    assertThat(
            internal
                .post(
                    "/internal/worker/tasks/recurrence",
                    "{\"taskId\":\"999999\",\"operation\":\"create\"}")
                .status())
        .isEqualTo(404);
    assertThat(
            internal
                .post(
                    "/internal/worker/tasks/recurrence",
                    "{\"taskId\":\"1\",\"operation\":\"archive\"}")
                .json()
                .get("message")
                .asText())
        .isEqualTo("Invalid operation: archive (use create, complete or delete)");
    String oneOff = createTask("Buy milk", "2024-02-01T12:00:00.000Z", "none").get("_id").asText();
    assertThat(
            internal
                .post(
                    "/internal/worker/tasks/recurrence",
                    "{\"taskId\":\"" + oneOff + "\",\"operation\":\"create\"}")
                .status())
        .isEqualTo(422);
  }

  @Test
  void creating_a_task_answers_201_at_once_and_a_one_off_task_triggers_nothing() {
    start(config());
    JsonNode task = createTask("Buy milk", "2024-02-01T12:00:00.000Z", "none");
    assertThat(task.get("userId").asText()).isEqualTo(ALICE);
    assertThat(task.get("repeatType").asText()).isEqualTo("none");
    assertThat(app.errand().counts().rows()).noneMatch(r -> r.type().equals(WorkerTrigger.TYPE));
    assertThat(new TestHttp(app.baseUrl()).post("/tasks", "{\"title\":\"x\"}").status())
        .isEqualTo(401);
  }

  @Test
  void the_api_rejects_tasks_that_break_the_validation_rules() {
    start(config());
    String parent = createTask("Parent", "2024-02-02T10:00:00.000Z", "none").get("_id").asText();
    TestHttp.Response sub =
        http.post(
            "/tasks",
            "{\"title\":\"Sub\",\"dueDate\":\"2024-02-02T10:00:00Z\","
                + "\"repeatType\":\"daily\",\"parentTaskId\":"
                + parent
                + "}");
    assertThat(sub.status()).isEqualTo(400);
    assertThat(sub.json().get("message").asText())
        .isEqualTo("Sub-tasks cannot have recurring patterns");

    TestHttp.Response past =
        http.post(
            "/tasks",
            "{\"title\":\"Old\",\"dueDate\":\"2024-01-31T07:59:59Z\","
                + "\"repeatType\":\"daily\"}");
    assertThat(past.json().get("message").asText())
        .isEqualTo("Due date should not be more than 1 day in the past");

    TestHttp.Response type =
        http.post(
            "/tasks",
            "{\"title\":\"T\",\"dueDate\":\"2024-02-02T10:00:00Z\","
                + "\"repeatType\":\"hourly\"}");
    assertThat(type.json().get("message").asText()).isEqualTo("Invalid repeat type: hourly");
    assertThat(http.get("/tasks").json()).hasSize(1);
  }

  @Test
  void validate_recurrence_answers_whether_a_task_is_valid_and_its_next_occurrences() {
    start(config());
    TestHttp.Response r =
        internal.post(
            "/internal/worker/validate",
            "{\"task\":{\"title\":\"Test Task\","
                + "\"dueDate\":\"2024-02-15T10:00:00.000Z\",\"repeatType\":\"daily\"}}");
    assertThat(r.status()).isEqualTo(200);
    JsonNode data = r.json().get("data");
    assertThat(data.get("valid").asBoolean()).isTrue();
    assertThat(data.get("recurrence").asText()).isEqualTo("daily:10:00@UTC");
    assertThat(data.get("nextOccurrences").toString())
        .isEqualTo(
            "[\"2024-02-16T10:00:00.000Z\",\"2024-02-17T10:00:00.000Z\",\"2024-02-18T10:00:00.000Z\"]");

    TestHttp.Response bad =
        internal.post(
            "/internal/worker/validate",
            "{\"task\":{\"title\":\"Test Task\","
                + "\"dueDate\":\"2024-02-15T10:00:00.000Z\",\"repeatType\":\"yearly\"}}");
    assertThat(bad.json().get("data").get("valid").asBoolean()).isFalse();
    assertThat(bad.json().get("data").get("errors").toString())
        .isEqualTo("[\"Invalid repeat type: yearly\"]");
    assertThat(internal.post("/internal/worker/validate", "{}").status()).isEqualTo(400);
  }

  @Test
  void health_reports_the_services_and_the_task_statistics() {
    clock.set(Instant.parse("2024-02-01T10:00:00Z"));
    start(config());
    int[] perType = {45, 25, 15};
    String[] types = {"daily", "weekly", "monthly"};
    for (int t = 0; t < 3; t++) {
      for (int i = 0; i < perType[t]; i++) {
        createTask(types[t] + " " + i, "2024-02-02T10:00:00.000Z", types[t]);
      }
    }
    app.database()
        .inTransaction(
            c -> { // the rest of the 1250 tasks are one-off tasks
              for (int i = 0; i < 1250 - 85 - 255; i++) {
                Tasks.insertTask(
                    c,
                    "user-" + (i % 7),
                    "one-off " + i,
                    clock.instant(),
                    "none",
                    null,
                    null,
                    clock.instant());
              }
              return null;
            });
    assertThat(awaitTriggersSettled(JobState.SUCCEEDED)).isEqualTo(85);

    TestHttp.Response r = internal.get("/internal/worker/health");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().toString())
        .isEqualTo(
            "{\"success\":true,\"data\":{\"status\":\"healthy\","
                + "\"timestamp\":\"2024-02-01T10:00:00.000Z\",\"services\":{\"tasksWorker\":\"operational\","
                + "\"recurrenceEngine\":\"operational\"},\"stats\":{\"totalTasks\":1250,\"recurringTasks\":85,"
                + "\"recurringInstances\":255,\"dailyRecurring\":45,\"weeklyRecurring\":25,\"monthlyRecurring\":15}}}");
  }

  @Test
  void health_is_unhealthy_with_503_when_the_database_fails() {
    start(config());
    app.database().inTransaction(c -> ExampleDatabase.update(c, "DROP TABLE tasks"));
    TestHttp.Response r = internal.get("/internal/worker/health");
    assertThat(r.status()).isEqualTo(503);
    assertThat(r.json().get("success").asBoolean()).isFalse();
    assertThat(r.json().get("data").get("status").asText()).isEqualTo("unhealthy");
    assertThat(r.json().get("data").get("error").asText()).contains("tasks");
  }

  @Test
  void stats_of_one_user_count_only_their_tasks_and_show_performance_metrics() {
    start(config());
    createTask("Daily Standup", "2024-02-01T09:00:00.000Z", "daily");
    new TestHttp(app.baseUrl())
        .with("X-User-Id", "bob")
        .post(
            "/tasks",
            "{\"title\":\"Bob's\",\"dueDate\":\"2024-02-01T09:00:00.000Z\",\"repeatType\":\"weekly\"}");
    awaitTriggersSettled(JobState.SUCCEEDED);

    JsonNode data = internal.get("/internal/worker/stats?userId=" + ALICE).json().get("data");

    assertThat(data.get("userId").asText()).isEqualTo(ALICE);
    assertThat(data.get("tasks").toString())
        .isEqualTo(
            "{\"totalTasks\":4,\"recurringTasks\":1,"
                + "\"recurringInstances\":3,\"dailyRecurring\":1,\"weeklyRecurring\":0,\"monthlyRecurring\":0}");
    JsonNode p = data.get("processing");
    assertThat(p.get("operations").asLong()).isEqualTo(2);
    assertThat(p.get("successRate").asDouble()).isEqualTo(100.0);
    assertThat(p.get("errorRate").asDouble()).isEqualTo(0.0);
    assertThat(p.get("maxProcessingTime").asDouble())
        .isGreaterThanOrEqualTo(p.get("avgProcessingTime").asDouble());
    assertThat(p.get("triggerAttempts").asLong()).isEqualTo(2);
    assertThat(p.get("retryRate").asDouble()).isEqualTo(0.0);
    assertThat(p.get("timeoutRate").asDouble()).isEqualTo(0.0);
    assertThat(p.get("recurringInstancesCreated").asLong()).isEqualTo(6);
    assertThat(p.get("tasksProcessedPerHour").asLong()).isEqualTo(6);
  }

  @Test
  void the_troubleshooting_commands_work_with_the_internal_api_key() {
    start(
        config()
            .internalApiKey(KEY)
            .internalBaseUrl("http://127.0.0.1:" + TestHttp.closedPort())
            .retryAttempts(1));
    TestHttp withKey = internal.with("x-internal-api-key", KEY);
    String id =
        createTask("Daily Standup", "2024-02-01T09:00:00.000Z", "daily").get("_id").asText();
    assertThat(awaitTriggersSettled(JobState.FAILED))
        .isEqualTo(1); // "recurring tasks not being created"

    // curl -H "x-internal-api-key: your-key" http://localhost:3000/internal/worker/health
    assertThat(withKey.get("/internal/worker/health").json().get("data").get("status").asText())
        .isEqualTo("healthy");
    // curl -X POST … -d '{"taskId":"TASK_ID","operation":"create"}'
    // …/internal/worker/tasks/recurrence
    assertThat(
            withKey
                .post(
                    "/internal/worker/tasks/recurrence",
                    "{\"taskId\":\"" + id + "\",\"operation\":\"create\"}")
                .status())
        .isEqualTo(200);
    assertThat(dueDates(id)).hasSize(3);
    // curl -X POST -H "x-internal-api-key: your-key" …/internal/worker/tasks/cleanup
    JsonNode cleanup = withKey.post("/internal/worker/tasks/cleanup", "").json();
    assertThat(
            cleanup
                .get("data")
                .get("operations")
                .get("orphanedTasksCleanup")
                .get("cleanedCount")
                .asInt())
        .isZero();
    // the Mongo count of orphans, as SQL
    assertThat(app.workerService().countOrphans()).isZero();
  }

  @Test
  void manual_recovery_processes_a_task_through_the_worker_service() {
    start(config().internalBaseUrl("http://127.0.0.1:" + TestHttp.closedPort()).retryAttempts(1));
    String id =
        createTask("Daily Standup", "2024-02-01T09:00:00.000Z", "daily").get("_id").asText();
    awaitTriggersSettled(JobState.FAILED);
    assertThat(dueDates(id)).isEmpty();

    Object result = app.workerService().processTaskRecurrence(Long.parseLong(id), "create", null);

    assertThat(result).asList().hasSize(3);
    assertThat(dueDates(id)).hasSize(3);
  }

  @Test
  void a_monthly_task_due_in_the_spring_forward_gap_keeps_two_o_clock_afterwards() {
    clock.set(Instant.parse("2024-03-09T12:00:00Z"));
    start(config());
    TestHttp.Response r =
        http.post(
            "/tasks",
            "{\"title\":\"DST\",\"dueDate\":\"2024-03-10T02:00:00\","
                + "\"repeatType\":\"monthly\",\"timeZone\":\"America/New_York\"}");
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    ZoneId ny = ZoneId.of("America/New_York");
    assertThat(Instant.parse(r.json().get("dueDate").asText()).atZone(ny).toLocalDateTime())
        .isEqualTo(LocalDateTime.parse("2024-03-10T03:00"));
    List<String> due = awaitDueDates(r.json().get("_id").asText(), 3);
    assertThat(due.stream().map(d -> Instant.parse(d).atZone(ny).toLocalDateTime().toString()))
        .containsExactly("2024-04-10T02:00", "2024-05-10T02:00", "2024-06-10T02:00");
  }

  @Test
  void a_monthly_task_on_the_fall_back_day_keeps_two_o_clock() {
    clock.set(Instant.parse("2024-11-02T12:00:00Z"));
    start(config());
    TestHttp.Response r =
        http.post(
            "/tasks",
            "{\"title\":\"DST\",\"dueDate\":\"2024-11-03T02:00:00\","
                + "\"repeatType\":\"monthly\",\"timeZone\":\"America/New_York\"}");
    List<String> due = awaitDueDates(r.json().get("_id").asText(), 3);
    assertThat(Instant.parse(due.get(0)).atZone(ZoneId.of("America/New_York")).toLocalDateTime())
        .isEqualTo(LocalDateTime.parse("2024-12-03T02:00"));
  }

  @Test
  void the_indexes_of_the_performance_section_exist() {
    start(config());
    List<String> indexes =
        app.database()
            .read(
                c ->
                    ExampleDatabase.query(
                        c,
                        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tasks'",
                        rs -> rs.getString(1)));
    assertThat(indexes).contains("tasks_parent_recurring", "tasks_user_repeat", "tasks_user_due");
  }
}
