package dev.errand.examples.recurring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.JobState;
import dev.errand.TestClock;
import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.TestHttp;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** Starts a {@link RecurringTasksApp} per test on a real socket, with a clock the test sets. */
abstract class RecurringTasksTestBase {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final String ALICE = "65b1234567890abcdef12340";

  @TempDir Path dir;
  final TestClock clock = new TestClock(Instant.parse("2024-02-01T08:00:00Z"));
  RecurringTasksApp app;
  TestHttp http;
  TestHttp internal;

  /** The database of the app under test; SQLite in a temporary directory unless overridden. */
  Supplier<ExampleDatabase> database() {
    return () -> ExampleDatabase.sqlite(dir.resolve("tasks.db"));
  }

  RecurringTasksConfig.Builder config() {
    return RecurringTasksConfig.builder().database(database()).clock(clock);
  }

  RecurringTasksApp start(RecurringTasksConfig.Builder config) {
    app = RecurringTasksApp.start(config.build());
    http = new TestHttp(app.baseUrl()).with("X-User-Id", ALICE);
    internal = new TestHttp(app.baseUrl());
    return app;
  }

  @AfterEach
  void stop() {
    if (app != null) {
      app.close();
    }
  }

  JsonNode createTask(String title, String dueDate, String repeatType) {
    TestHttp.Response r =
        http.post(
            "/tasks",
            "{\"title\":\""
                + title
                + "\",\"dueDate\":\""
                + dueDate
                + "\",\"repeatType\":\""
                + repeatType
                + "\"}");
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return r.json();
  }

  JsonNode task(String id) {
    TestHttp.Response r = http.get("/tasks/" + id);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json();
  }

  /**
   * Waits until the series of {@code originalId} has {@code n} occurrences; returns their due
   * dates.
   */
  List<String> awaitDueDates(String originalId, int n) {
    await().atMost(WAIT).until(() -> task(originalId).get("occurrences").size() == n);
    return dueDates(originalId);
  }

  List<String> dueDates(String originalId) {
    List<String> due = new ArrayList<>();
    task(originalId).get("occurrences").forEach(o -> due.add(o.get("dueDate").asText()));
    return due;
  }

  JsonNode occurrence(String originalId, String dueDate) {
    for (JsonNode o : task(originalId).get("occurrences")) {
      if (o.get("dueDate").asText().equals(dueDate)) {
        return o;
      }
    }
    throw new AssertionError("no occurrence due " + dueDate + " in " + task(originalId));
  }

  /** Waits until every trigger job is final, and returns how many ended in {@code state}. */
  long awaitTriggersSettled(JobState state) {
    await()
        .atMost(WAIT)
        .until(
            () ->
                app.errand().counts().rows().stream()
                    .filter(r -> r.type().equals(WorkerTrigger.TYPE))
                    .noneMatch(r -> !r.state().isFinal()));
    return app.errand().counts().rows().stream()
        .filter(r -> r.type().equals(WorkerTrigger.TYPE) && r.state() == state)
        .mapToLong(r -> r.count())
        .sum();
  }
}
