package dev.errand.examples.recurring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.errand.Job;
import dev.errand.JobState;
import dev.errand.Schedule;
import dev.errand.ScheduleInfo;
import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.TestHttp;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

/** 003's daily and weekly maintenance as stored Errand schedules. */
class RecurringTasksMaintenanceTest extends RecurringTasksTestBase {

  private Job runNow(String schedule) {
    long id = app.errand().triggerSchedule(schedule).id();
    await().atMost(WAIT).until(() -> app.errand().job(id).orElseThrow().state().isFinal());
    return app.errand().job(id).orElseThrow();
  }

  @Test
  void daily_maintenance_runs_at_two_and_weekly_maintenance_on_sunday_at_three() {
    start(config());
    ScheduleInfo daily = app.errand().schedule(RecurringTasksApp.DAILY).orElseThrow();
    ScheduleInfo weekly = app.errand().schedule(RecurringTasksApp.WEEKLY).orElseThrow();
    ZoneId utc = ZoneId.of("UTC");
    assertThat(daily.schedule()).isEqualTo(Schedule.daily(LocalTime.of(2, 0), utc));
    assertThat(weekly.schedule())
        .isEqualTo(Schedule.weekly(DayOfWeek.SUNDAY, LocalTime.of(3, 0), utc));
    // 2024-02-01 is a Thursday
    Instant now = clock.instant();
    assertThat(daily.schedule().next(now)).isEqualTo(Instant.parse("2024-02-02T02:00:00Z"));
    assertThat(weekly.schedule().next(now)).isEqualTo(Instant.parse("2024-02-04T03:00:00Z"));
    // the scheduler keeps the next three runs materialized as jobs
    await()
        .atMost(WAIT)
        .until(
            () ->
                app.errand().schedule(RecurringTasksApp.DAILY).orElseThrow().upcoming().size()
                    == 3);
  }

  @Test
  void the_maintenance_windows_follow_the_configuration() {
    start(
        config()
            .dailyMaintenance(LocalTime.of(1, 30))
            .weeklyMaintenance(DayOfWeek.SATURDAY, LocalTime.of(4, 0))
            .maintenanceZone(ZoneId.of("Europe/London")));
    assertThat(app.errand().schedule(RecurringTasksApp.DAILY).orElseThrow().schedule().toString())
        .isEqualTo("daily:01:30@Europe/London");
    assertThat(app.errand().schedule(RecurringTasksApp.WEEKLY).orElseThrow().schedule().toString())
        .isEqualTo("weekly:SATURDAY 04:00@Europe/London");
  }

  @Test
  void daily_maintenance_cleans_up_orphaned_tasks() {
    start(config().internalBaseUrl("http://127.0.0.1:" + TestHttp.closedPort()).retryAttempts(1));
    String id =
        createTask("Daily Standup", "2024-02-01T09:00:00.000Z", "daily").get("_id").asText();
    app.workerService().processTaskRecurrence(Long.parseLong(id), "create", null);
    http.delete("/tasks/" + id); // its cascade trigger cannot reach the worker
    assertThat(app.workerService().countOrphans()).isEqualTo(3);

    Job run = runNow(RecurringTasksApp.DAILY);

    assertThat(run.state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(run.result()).isEqualTo("{\"cleanedCount\":3,\"status\":\"healthy\"}");
    assertThat(app.workerService().countOrphans()).isZero();
  }

  @Test
  void daily_maintenance_alerts_when_the_worker_is_unhealthy() {
    start(config());
    app.database().inTransaction(c -> ExampleDatabase.update(c, "DROP TABLE tasks"));

    runNow(RecurringTasksApp.DAILY);

    await()
        .atMost(WAIT)
        .until(
            () -> app.alerts().list().stream().anyMatch(a -> a.key().equals("worker-unhealthy")));
    assertThat(app.alerts().list())
        .filteredOn(a -> a.key().equals("worker-unhealthy"))
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.severity()).isEqualTo("high");
              assertThat(a.message()).startsWith("Worker service unhealthy: ");
            });
  }

  @Test
  void weekly_maintenance_restores_missing_occurrences() {
    start(config());
    String id =
        createTask("Weekly Review", "2024-02-01T10:00:00.000Z", "weekly").get("_id").asText();
    awaitDueDates(id, 3);
    http.delete("/tasks/" + occurrence(id, "2024-02-15T10:00:00.000Z").get("_id").asText());
    assertThat(dueDates(id)).hasSize(2);

    Job run = runNow(RecurringTasksApp.WEEKLY);

    assertThat(run.state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(run.result()).startsWith("{\"repairedCount\":1,");
    assertThat(dueDates(id))
        .isEqualTo(
            List.of(
                "2024-02-08T10:00:00.000Z",
                "2024-02-15T10:00:00.000Z",
                "2024-02-22T10:00:00.000Z"));
  }
}
