package dev.errand.examples.bugtracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.Job;
import dev.errand.JobQuery;
import dev.errand.TestClock;
import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.TestHttp;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** Starts a {@link BugTrackerApp} per test on a real socket; one HTTP client per team member. */
abstract class BugTrackerTestBase {
  static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;
  final TestClock clock = new TestClock(Instant.parse("2024-02-10T12:00:00Z"));
  BugTrackerApp app;
  TestHttp ada; // admin
  TestHttp lin; // lead
  TestHttp tom; // tester
  TestHttp eve; // tester

  Supplier<ExampleDatabase> database() {
    return () -> ExampleDatabase.sqlite(dir.resolve("bugtracker.db"));
  }

  BugTrackerConfig.Builder config() {
    return BugTrackerConfig.builder(dir)
        .database(database())
        .clock(clock)
        .backoff(Duration.ofMillis(100));
  }

  BugTrackerApp start(BugTrackerConfig.Builder config) {
    app = BugTrackerApp.start(config.build());
    TestHttp http = new TestHttp(app.baseUrl());
    ada = http.with("X-User-Id", "ada");
    lin = http.with("X-User-Id", "lin");
    tom = http.with("X-User-Id", "tom");
    eve = http.with("X-User-Id", "eve");
    return app;
  }

  @AfterEach
  void stop() {
    if (app != null) {
      app.close();
      app = null;
    }
  }

  long createBug(TestHttp as, String title, String severity, String assignee) {
    TestHttp.Response r =
        as.post(
            "/bugs",
            "{\"title\":\""
                + title
                + "\",\"severity\":\""
                + severity
                + "\""
                + (assignee == null ? "" : ",\"assigneeId\":\"" + assignee + "\"")
                + "}");
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return r.json().get("id").asLong();
  }

  long upload(TestHttp as, long bugId, String name, String content) {
    TestHttp.Response r =
        as.postBytes("/bugs/" + bugId + "/media", content.getBytes(), "X-File-Name", name);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return r.json().get("id").asLong();
  }

  JsonNode inbox(TestHttp as) {
    return as.get("/inbox").json();
  }

  JsonNode metric(String period, String user) {
    for (JsonNode m : lin.get("/metrics/" + period).json()) {
      if (m.get("userId").asText().equals(user)) {
        return m;
      }
    }
    return null;
  }

  List<Job> jobs(String type) {
    return app.errand().jobs(JobQuery.all().type(type)).jobs();
  }

  /** Waits until every job of {@code type} is final and returns them. */
  List<Job> awaitSettled(String type) {
    await()
        .atMost(WAIT)
        .until(
            () -> !jobs(type).isEmpty() && jobs(type).stream().allMatch(j -> j.state().isFinal()));
    return jobs(type);
  }

  String storageKey(long mediaId) {
    return app.database()
        .read(
            c ->
                ExampleDatabase.queryOne(
                    c,
                    "SELECT storage_key FROM media WHERE id = ?",
                    rs -> rs.getString(1),
                    mediaId))
        .orElseThrow();
  }
}
