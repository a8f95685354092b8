package dev.errand.examples.bugtracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.Enqueue;
import dev.errand.Job;
import dev.errand.JobState;
import dev.errand.Schedule;
import dev.errand.examples.StubServer;
import dev.errand.examples.TestHttp;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

/** 002's rules, job by job, against a running bug tracker on SQLite; failure paths included. */
class BugTrackerJobsTest extends BugTrackerTestBase {

  private Job runSchedule(String name) {
    long id = app.errand().triggerSchedule(name).id();
    await().atMost(WAIT).until(() -> app.errand().job(id).orElseThrow().state().isFinal());
    return app.errand().job(id).orElseThrow();
  }

  private BugTrackerJobs jobs() {
    return app.jobs();
  }

  // ---------------------------------------------------------------- notifications

  @Test
  void
      a_channel_that_keeps_failing_dead_letters_the_job_raises_alerts_and_never_touches_the_request() {
    start(config().notificationAttempts(3).channels(db -> List.of(FlakyChannel.alwaysFailing())));
    long bug = createBug(tom, "Broken", "low", "eve");

    TestHttp.Response r = lin.put("/bugs/" + bug + "/severity", "{\"severity\":\"critical\"}");

    assertThat(r.status()).isEqualTo(200);
    assertThat(tom.get("/bugs/" + bug).json().get("severity").asText()).isEqualTo("critical");
    Job job = awaitSettled("bugtracker.notify").get(0);
    assertThat(job.state()).isEqualTo(JobState.FAILED);
    assertThat(job.attempt()).isEqualTo(3);
    await().atMost(WAIT).until(() -> ada.get("/admin/alerts").json().size() >= 2);
    JsonNode alerts = ada.get("/admin/alerts").json();
    assertThat(alerts.findValuesAsText("key"))
        .contains(
            "job-failed:bugtracker.notify:" + job.id(), "repeated-failures:bugtracker.notify");
    JsonNode stats = ada.get("/admin/jobs").json().get("bugtracker.notify");
    assertThat(stats.get("started").asLong()).isEqualTo(3);
    assertThat(stats.get("failed").asLong()).isEqualTo(3);
    assertThat(stats.get("dead").asLong()).isEqualTo(1);
    assertThat(stats.get("failureRate").asDouble()).isEqualTo(1.0);
    assertThat(tom.get("/admin/jobs").status()).isEqualTo(403);
  }

  @Test
  void notifications_go_to_a_webhook_as_json() {
    try (StubServer hook = StubServer.receiver()) {
      start(config().channels(db -> List.of(new WebhookChannel(URI.create(hook.url() + "/hook")))));
      long session = tom.post("/sessions", "").json().get("id").asLong();

      await().atMost(WAIT).until(() -> hook.bodies().size() == 2); // the lead and the admin
      assertThat(hook.bodies())
          .allSatisfy(
              b ->
                  assertThat(b)
                      .contains("\"kind\":\"session_started\"")
                      .contains("tom started test session #" + session));
      assertThat(hook.bodies()).anySatisfy(b -> assertThat(b).contains("\"recipientId\":\"lin\""));
      assertThat(hook.bodies()).anySatisfy(b -> assertThat(b).contains("\"recipientId\":\"ada\""));
    }
  }

  @Test
  void ending_a_session_notifies_leads_and_admins_and_counts_it_in_the_metrics() {
    start(config());
    long session = tom.post("/sessions", "").json().get("id").asLong();
    assertThat(tom.post("/sessions/" + session + "/end", "").status()).isEqualTo(200);

    await().atMost(WAIT).until(() -> inbox(lin).size() == 2 && inbox(ada).size() == 2);
    // two independent jobs: either may deliver first
    assertThat(inbox(lin).findValuesAsText("kind"))
        .containsExactlyInAnyOrder("session_started", "session_ended");
    await().atMost(WAIT).until(() -> metric("2024-02", "tom") != null);
    assertThat(metric("2024-02", "tom").get("sessionsCompleted").asLong()).isEqualTo(1);
    assertThat(tom.post("/sessions/" + session + "/end", "").status()).isEqualTo(404);
  }

  @Test
  void only_an_admin_changes_roles_and_the_user_is_told() {
    start(config());
    assertThat(tom.put("/users/eve/role", "{\"role\":\"admin\"}").status()).isEqualTo(403);
    assertThat(lin.put("/users/eve/role", "{\"role\":\"admin\"}").status()).isEqualTo(403);
    assertThat(jobs("bugtracker.notify")).isEmpty();

    assertThat(ada.put("/users/eve/role", "{\"role\":\"lead\"}").status()).isEqualTo(200);

    await().atMost(WAIT).until(() -> inbox(eve).size() == 1);
    assertThat(inbox(eve).get(0).get("message").asText())
        .isEqualTo("ada changed your role from tester to lead");
    assertThat(ada.put("/users/eve/role", "{\"role\":\"owner\"}").status()).isEqualTo(400);
  }

  @Test
  void a_notification_about_a_deleted_bug_reaches_nobody() {
    start(config());
    long bug = createBug(tom, "Secret", "low", "eve");
    assertThat(ada.delete("/bugs/" + bug).status()).isEqualTo(200);

    long job =
        app.errand()
            .enqueue(
                jobs().notify,
                new BugTrackerJobs.Notify(
                    "severity_changed", bug, null, null, null, "lin", "from low to high"),
                Enqueue.now())
            .id();

    await()
        .atMost(WAIT)
        .until(() -> app.errand().job(job).orElseThrow().state() == JobState.SUCCEEDED);
    assertThat(app.errand().job(job).orElseThrow().result())
        .isEqualTo("{\"recipients\":[],\"sent\":0}");
    assertThat(inbox(eve)).isEmpty();
  }

  @Test
  void jobs_with_invalid_input_fail_at_once_without_retries() {
    start(config());
    long notify =
        app.errand()
            .enqueue(
                jobs().notify,
                new BugTrackerJobs.Notify("spam", null, null, null, null, "lin", null),
                Enqueue.now())
            .id();
    long metrics =
        app.errand()
            .enqueue(
                jobs().recalculate,
                new BugTrackerJobs.Recalculate(List.of("tom"), "February", "test"),
                Enqueue.now())
            .id();
    long media =
        app.errand()
            .enqueue(jobs().mediaCleanup, new BugTrackerJobs.MediaCleanup(-1), Enqueue.now())
            .id();

    for (long id : List.of(notify, metrics, media)) {
      await()
          .atMost(WAIT)
          .until(() -> app.errand().job(id).orElseThrow().state() == JobState.FAILED);
      assertThat(app.errand().job(id).orElseThrow().attempt()).isEqualTo(1);
    }
    assertThat(app.errand().job(metrics).orElseThrow().lastError())
        .contains("period must be yyyy-MM");
  }

  // ---------------------------------------------------------------- media

  @Test
  void archiving_a_bug_deletes_its_media_files_and_the_sweep_never_deletes_active_media()
      throws Exception {
    start(config());
    long archivedBug = createBug(tom, "Old", "low", null);
    long openBug = createBug(tom, "Current", "low", null);
    long oldMedia = upload(tom, archivedBug, "old.log", "old");
    long liveMedia = upload(tom, openBug, "live.log", "live");
    Path liveFile = dir.resolve("media").resolve(storageKey(liveMedia));

    assertThat(tom.post("/bugs/" + archivedBug + "/archive", "").json().get("status").asText())
        .isEqualTo("archived");
    await()
        .atMost(WAIT)
        .until(() -> tom.get("/media/" + oldMedia).json().get("status").asText().equals("purged"));

    Job sweep = runSchedule(BugTrackerApp.MEDIA_SWEEP);
    assertThat(sweep.result()).isEqualTo("{\"enqueued\":0}");
    long direct =
        app.errand()
            .enqueue(jobs().mediaCleanup, new BugTrackerJobs.MediaCleanup(liveMedia), Enqueue.now())
            .id();
    await().atMost(WAIT).until(() -> app.errand().job(direct).orElseThrow().state().isFinal());
    assertThat(app.errand().job(direct).orElseThrow().result()).contains("skipped: active");
    assertThat(liveFile).exists().hasContent("live");
    assertThat(tom.get("/media/" + liveMedia).json().get("status").asText()).isEqualTo("active");
  }

  @Test
  void media_cleanup_is_idempotent() {
    start(config());
    long bug = createBug(tom, "Bug", "low", null);
    long media = upload(tom, bug, "a.txt", "a");
    tom.post("/media/" + media + "/archive", "");
    await()
        .atMost(WAIT)
        .until(() -> tom.get("/media/" + media).json().get("status").asText().equals("purged"));

    long again =
        app.errand()
            .enqueue(jobs().mediaCleanup, new BugTrackerJobs.MediaCleanup(media), Enqueue.now())
            .id();

    await()
        .atMost(WAIT)
        .until(() -> app.errand().job(again).orElseThrow().state() == JobState.SUCCEEDED);
    assertThat(app.errand().job(again).orElseThrow().result()).contains("already deleted");
    assertThat(tom.get("/media/" + media).json().get("fileName").asText()).isEqualTo("a.txt");
  }

  @Test
  void a_failing_storage_deletion_is_retried_until_the_file_is_gone() throws Exception {
    FlakyStorage[] storage = new FlakyStorage[1];
    start(
        config()
            .storage(
                d -> {
                  try {
                    storage[0] = new FlakyStorage(new LocalMediaStorage(d), 2);
                    return storage[0];
                  } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                }));
    long bug = createBug(tom, "Bug", "low", null);
    long media = upload(tom, bug, "big.bin", "bytes");
    Path file = dir.resolve("media").resolve(storageKey(media));

    tom.post("/media/" + media + "/archive", "");

    await()
        .atMost(WAIT)
        .until(() -> tom.get("/media/" + media).json().get("status").asText().equals("purged"));
    assertThat(Files.exists(file)).isFalse();
    Job cleanup = awaitSettled("bugtracker.media-cleanup").get(0);
    assertThat(cleanup.attempt()).isEqualTo(3);
    assertThat(cleanup.errors())
        .allSatisfy(e -> assertThat(e.message()).contains("storage provider unavailable"));
    assertThat(storage[0].deletes.get()).isEqualTo(3);
    assertThat(lin.post("/media/" + media + "/restore", "").status()).isEqualTo(409);
  }

  @Test
  void archived_media_restored_before_its_cleanup_runs_keeps_its_file() throws Exception {
    start(config());
    long bug = createBug(tom, "Bug", "low", null);
    long media = upload(tom, bug, "keep.txt", "keep");
    Path file = dir.resolve("media").resolve(storageKey(media));
    app.errand().pause(BugTrackerJobs.QUEUE); // hold the cleanup back until the media is restored
    tom.post("/media/" + media + "/archive", "");
    assertThat(lin.post("/media/" + media + "/restore", "").json().get("status").asText())
        .isEqualTo("active");

    app.errand().resume(BugTrackerJobs.QUEUE);

    Job cleanup = awaitSettled("bugtracker.media-cleanup").get(0);
    assertThat(cleanup.state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(cleanup.result()).contains("skipped: active");
    assertThat(file).exists().hasContent("keep");
  }

  @Test
  void media_whose_file_deletion_has_begun_cannot_be_restored() throws Exception {
    // storage that cannot delete yet: the cleanup waits in its backoff, the media stays purging
    start(
        config()
            .backoff(Duration.ofSeconds(30))
            .storage(
                d -> {
                  try {
                    return new FlakyStorage(new LocalMediaStorage(d), 1);
                  } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                }));
    long bug = createBug(tom, "Bug", "low", null);
    long media = upload(tom, bug, "gone.txt", "gone");
    tom.post("/media/" + media + "/archive", "");
    await()
        .atMost(WAIT)
        .until(() -> jobs("bugtracker.media-cleanup").get(0).state() == JobState.RETRYING);

    assertThat(tom.get("/media/" + media).json().get("status").asText()).isEqualTo("purging");
    assertThat(lin.post("/media/" + media + "/restore", "").status()).isEqualTo(409);
  }

  @Test
  void the_storage_refuses_keys_outside_the_media_directory() throws Exception {
    LocalMediaStorage storage = new LocalMediaStorage(dir.resolve("media"));
    Files.writeString(dir.resolve("precious.txt"), "x");
    assertThatThrownBy(() -> storage.delete("../precious.txt"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> storage.delete(dir.resolve("precious.txt").toString()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(dir.resolve("precious.txt")).exists();
    String key = storage.put("../../evil name.txt", "y".getBytes());
    assertThat(storage.exists(key)).isTrue();
    assertThat(storage.root().resolve(key).getParent()).isEqualTo(storage.root());
  }

  // ---------------------------------------------------------------- cache

  @Test
  void the_dashboard_falls_back_to_the_database_and_never_serves_a_stale_summary() {
    start(config());
    TestHttp.Response cold = tom.get("/dashboard");
    assertThat(cold.header("X-Cache")).isEqualTo("miss");
    assertThat(cold.json().get("activeSessions").asLong()).isZero();

    tom.post("/sessions", ""); // session start warms the cache
    await().atMost(WAIT).until(() -> "hit".equals(tom.get("/dashboard").header("X-Cache")));
    assertThat(tom.get("/dashboard").json().get("activeSessions").asLong()).isEqualTo(1);

    createBug(
        tom, "Fresh", "critical", null); // changes the data: the cached summary is out of date

    TestHttp.Response after = tom.get("/dashboard");
    assertThat(after.header("X-Cache")).isEqualTo("miss");
    assertThat(after.json().get("openBugs").get("critical").asLong()).isEqualTo(1);
  }

  @Test
  void a_cached_summary_expires_after_its_ttl() {
    start(config().cacheTtl(Duration.ofMinutes(10)));
    jobs().warmNow();
    assertThat(tom.get("/dashboard").header("X-Cache")).isEqualTo("hit");
    clock.advance(Duration.ofMinutes(10));
    assertThat(tom.get("/dashboard").header("X-Cache")).isEqualTo("miss");
  }

  // ---------------------------------------------------------------- maintenance

  @Test
  void maintenance_is_a_stored_schedule_in_the_low_traffic_hours() {
    start(config().lowTraffic(LocalTime.of(3, 0), ZoneId.of("Europe/Berlin")));
    Schedule maintenance =
        app.errand().schedule(BugTrackerApp.MAINTENANCE).orElseThrow().schedule();
    Schedule sweep = app.errand().schedule(BugTrackerApp.MEDIA_SWEEP).orElseThrow().schedule();
    assertThat(maintenance.toString()).isEqualTo("daily:03:00@Europe/Berlin");
    assertThat(sweep.toString()).isEqualTo("daily:03:30@Europe/Berlin");
    // from 2024-02-10 12:00 UTC the next run is 03:00 in Berlin (02:00 UTC) the next night
    assertThat(maintenance.next(clock.instant())).isEqualTo(Instant.parse("2024-02-11T02:00:00Z"));
    assertThat(app.errand().schedule(BugTrackerApp.CACHE_WARM).orElseThrow().schedule().toString())
        .isEqualTo("every:PT5M");
  }

  @Test
  void
      maintenance_evicts_expired_cache_entries_removes_old_temp_files_and_checks_references_and_indexes()
          throws Exception {
    start(config().tempFileMaxAge(Duration.ofDays(1)));
    jobs().warmNow();
    Path tmp = dir.resolve("tmp");
    Path old = Files.writeString(tmp.resolve("old.part"), "o");
    Path recent = Files.writeString(tmp.resolve("recent.part"), "r");
    Files.setLastModifiedTime(old, FileTime.from(clock.instant().minus(Duration.ofDays(2))));
    Files.setLastModifiedTime(recent, FileTime.from(clock.instant().minus(Duration.ofHours(1))));
    clock.advance(Duration.ofMinutes(11));

    Job run = runSchedule(BugTrackerApp.MAINTENANCE);

    assertThat(run.state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(run.result())
        .isEqualTo(
            "{\"evictedCacheEntries\":1,\"orphans\":{\"commentsWithoutBug\":0,"
                + "\"mediaWithoutBug\":0,\"sessionsWithoutUser\":0,\"metricsWithoutUser\":0},\"indexProblems\":[],"
                + "\"removedTempFiles\":1,\"expiredAuditEntries\":0}");
    assertThat(old).doesNotExist();
    assertThat(recent).exists();
    assertThat(app.cache().size()).isZero();
    assertThat(app.alerts().list()).isEmpty();
  }

  @Test
  void maintenance_removes_audit_entries_past_their_ttl_and_keeps_the_rest() {
    start(config().auditTtl(Duration.ofDays(90)));
    assertThat(lin.post("/metrics/2024-02/finalize", "").status()).isEqualTo(200);
    clock.advance(Duration.ofDays(91));
    assertThat(ada.put("/users/eve/role", "{\"role\":\"lead\"}").status()).isEqualTo(200);

    Job run = runSchedule(BugTrackerApp.MAINTENANCE);

    assertThat(run.result()).contains("\"expiredAuditEntries\":1");
    List<String> left =
        app.database()
            .read(
                c ->
                    dev.errand.examples.ExampleDatabase.query(
                        c,
                        "SELECT actor_id || ' ' || action FROM audit_log ORDER BY id",
                        rs -> rs.getString(1)));
    assertThat(left).containsExactly("ada role tester -> lead");
  }

  @Test
  void maintenance_reports_orphan_references_and_a_missing_index_and_alerts() {
    start(config());
    app.database()
        .inTransaction(
            c -> {
              dev.errand.examples.ExampleDatabase.update(
                  c,
                  "INSERT INTO comments (bug_id, author_id, body, created_at)"
                      + " VALUES (424242, 'tom', 'dangling', 0)");
              dev.errand.examples.ExampleDatabase.update(c, "DROP INDEX media_status");
              return null;
            });

    Job run = runSchedule(BugTrackerApp.MAINTENANCE);

    assertThat(run.result())
        .contains("\"commentsWithoutBug\":1")
        .contains("missing index media_status");
    assertThat(app.alerts().list())
        .extracting(a -> a.key())
        .contains("index-health", "orphan-references");
    assertThat(
            app.database()
                .read(
                    c ->
                        dev.errand.examples.ExampleDatabase.queryOne(
                            c,
                            "SELECT COUNT(*) FROM comments WHERE bug_id = 424242",
                            rs -> rs.getLong(1)))
                .orElseThrow())
        .as("maintenance reports, it does not delete")
        .isEqualTo(1);
  }

  // ---------------------------------------------------------------- synchronous rules

  @Test
  void authorization_and_validation_happen_in_the_request() {
    start(config());
    long bug = createBug(tom, "Mine", "low", null);
    assertThat(eve.put("/bugs/" + bug + "/severity", "{\"severity\":\"high\"}").status())
        .isEqualTo(403);
    assertThat(tom.put("/bugs/" + bug + "/severity", "{\"severity\":\"urgent\"}").status())
        .isEqualTo(400);
    assertThat(eve.post("/bugs/" + bug + "/archive", "").status()).isEqualTo(403);
    assertThat(tom.delete("/bugs/" + bug).status()).isEqualTo(403);
    assertThat(new TestHttp(app.baseUrl()).post("/bugs", "{\"title\":\"x\"}").status())
        .isEqualTo(401);
    assertThat(new TestHttp(app.baseUrl()).with("X-User-Id", "mallory").get("/dashboard").status())
        .isEqualTo(401);
    assertThat(tom.post("/bugs", "{\"title\":\"\"}").status()).isEqualTo(400);
    assertThat(jobs("bugtracker.notify")).isEmpty();
    assertThat(jobs("bugtracker.recalculate-metrics")).isEmpty();
  }
}
