package dev.errand.examples.recurring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.JobState;
import dev.errand.examples.TestHttp;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The core flows of 003 (creation, completion, deletion, orphan cleanup), run on every database:
 * each test follows one of 003's worked examples through the HTTP API and the background trigger.
 */
abstract class RecurringTasksFlows extends RecurringTasksTestBase {

  @Test
  void creating_a_daily_task_materializes_its_next_three_occurrences() {
    start(config());
    JsonNode standup = createTask("Daily Standup", "2024-02-01T09:00:00.000Z", "daily");
    assertThat(standup.get("repeatType").asText()).isEqualTo("daily");
    String id = standup.get("_id").asText();

    assertThat(awaitDueDates(id, 3))
        .containsExactly(
            "2024-02-02T09:00:00.000Z", "2024-02-03T09:00:00.000Z", "2024-02-04T09:00:00.000Z");
    for (JsonNode o : task(id).get("occurrences")) {
      assertThat(o.get("title").asText()).isEqualTo("Daily Standup");
      assertThat(o.get("parentRecurringId").asText()).isEqualTo(id);
      assertThat(task(o.get("_id").asText()).get("activity").toString())
          .contains("recurring_instance_created");
    }
    assertThat(awaitTriggersSettled(JobState.SUCCEEDED)).isEqualTo(1);
  }

  @Test
  void completing_a_weekly_task_links_the_next_occurrence_and_creates_the_missing_third_one() {
    start(config());
    String review =
        createTask("Weekly Review", "2024-02-01T10:00:00.000Z", "weekly").get("_id").asText();
    assertThat(awaitDueDates(review, 3))
        .containsExactly(
            "2024-02-08T10:00:00.000Z", "2024-02-15T10:00:00.000Z", "2024-02-22T10:00:00.000Z");
    // 003's example shows a series whose third occurrence does not exist yet at completion
    String feb22 = occurrence(review, "2024-02-22T10:00:00.000Z").get("_id").asText();
    assertThat(http.delete("/tasks/" + feb22).status()).isEqualTo(204);
    assertThat(dueDates(review)).hasSize(2);

    TestHttp.Response done = http.post("/tasks/" + review + "/complete", "");
    assertThat(done.status()).as(done.body()).isEqualTo(200);
    assertThat(done.json().get("completed").asBoolean()).isTrue();

    assertThat(awaitDueDates(review, 3))
        .containsExactly(
            "2024-02-08T10:00:00.000Z", "2024-02-15T10:00:00.000Z", "2024-02-22T10:00:00.000Z");
    assertThat(occurrence(review, "2024-02-08T10:00:00.000Z").get("parentRecurringId").asText())
        .isEqualTo(review);
    assertThat(occurrence(review, "2024-02-22T10:00:00.000Z").get("_id").asText())
        .isNotEqualTo(feb22);
  }

  @Test
  void completing_an_occurrence_keeps_three_occurrences_after_it() {
    start(config());
    String review =
        createTask("Weekly Review", "2024-02-01T10:00:00.000Z", "weekly").get("_id").asText();
    awaitDueDates(review, 3);
    String feb8 = occurrence(review, "2024-02-08T10:00:00.000Z").get("_id").asText();

    assertThat(http.post("/tasks/" + feb8 + "/complete", "").status()).isEqualTo(200);

    assertThat(awaitDueDates(review, 4))
        .containsExactly(
            "2024-02-08T10:00:00.000Z",
            "2024-02-15T10:00:00.000Z",
            "2024-02-22T10:00:00.000Z",
            "2024-02-29T10:00:00.000Z");
    assertThat(task(feb8).get("task").get("completed").asBoolean()).isTrue();
  }

  @Test
  void deleting_a_monthly_task_cascades_to_its_three_occurrences() {
    start(config());
    String report =
        createTask("Monthly Report", "2024-02-01T10:00:00.000Z", "monthly").get("_id").asText();
    assertThat(awaitDueDates(report, 3))
        .containsExactly(
            "2024-03-01T10:00:00.000Z", "2024-04-01T10:00:00.000Z", "2024-05-01T10:00:00.000Z");
    List<String> ids = task(report).get("occurrences").findValuesAsText("_id");

    assertThat(http.delete("/tasks/" + report).status()).isEqualTo(204);

    await()
        .atMost(WAIT)
        .until(() -> ids.stream().allMatch(i -> http.get("/tasks/" + i).status() == 404));
    assertThat(awaitTriggersSettled(JobState.SUCCEEDED)).isEqualTo(2);
    String activity =
        app.database().read(c -> Tasks.activityOf(c, Long.parseLong(report))).toString();
    assertThat(activity).contains("cascade_deleted");
    long recorded =
        app.database()
            .read(
                c ->
                    dev.errand.examples.ExampleDatabase.queryOne(
                        c,
                        "SELECT details FROM task_activity WHERE task_id = ? AND action = 'cascade_deleted'",
                        rs -> rs.getString(1),
                        Long.parseLong(report)))
            .map(d -> Long.parseLong(d.split(" ")[0]))
            .orElseThrow();
    assertThat(recorded).isEqualTo(3);
  }

  @Test
  void cleanup_deletes_occurrences_whose_original_is_gone() {
    // triggers go to a down endpoint, so deletions do not cascade and leave orphans behind
    start(config().internalBaseUrl("http://127.0.0.1:" + TestHttp.closedPort()).retryAttempts(1));
    clock.set(java.time.Instant.parse("2024-02-01T10:00:00Z"));
    String a = createTask("A", "2024-02-02T10:00:00.000Z", "daily").get("_id").asText();
    String b = createTask("B", "2024-02-02T11:00:00.000Z", "weekly").get("_id").asText();
    for (String id :
        List.of(a, b)) { // manual recovery: the trigger is down, an operator runs create
      assertThat(
              internal
                  .post(
                      "/internal/worker/tasks/recurrence",
                      "{\"taskId\":\"" + id + "\",\"operation\":\"create\"}")
                  .status())
          .isEqualTo(200);
    }
    http.delete("/tasks/" + task(b).get("occurrences").get(0).get("_id").asText());
    http.delete("/tasks/" + a);
    http.delete("/tasks/" + b);
    assertThat(app.workerService().countOrphans()).isEqualTo(5);

    TestHttp.Response r = internal.post("/internal/worker/tasks/cleanup", "");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().toString())
        .isEqualTo(
            "{\"success\":true,\"message\":\"Cleanup operations completed"
                + " successfully\",\"data\":{\"timestamp\":\"2024-02-01T10:00:00.000Z\",\"operations\":"
                + "{\"orphanedTasksCleanup\":{\"completed\":true,\"cleanedCount\":5}},\"success\":true}}");
    assertThat(app.workerService().countOrphans()).isZero();
  }
}
