package dev.errand.examples.bugtracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.Job;
import dev.errand.JobState;
import dev.errand.examples.TestHttp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The core flows of 002, run on every database. */
abstract class BugTrackerFlows extends BugTrackerTestBase {

  @Test
  void a_mention_notifies_the_mentioned_active_users_and_not_the_author() {
    start(config());
    long bug = createBug(tom, "Login button dead", "high", null);

    TestHttp.Response r =
        tom.post(
            "/bugs/" + bug + "/comments",
            "{\"body\":\"@eve @lin can you check? cc @tom @nobody\"}");

    assertThat(r.status()).isEqualTo(201);
    await().atMost(WAIT).until(() -> inbox(eve).size() == 1 && inbox(lin).size() == 1);
    assertThat(inbox(eve).get(0).get("kind").asText()).isEqualTo("mention");
    assertThat(inbox(eve).get(0).get("message").asText())
        .isEqualTo("tom mentioned you on bug #" + bug + " \"Login button dead\"");
    assertThat(inbox(tom)).isEmpty();
    Job job = awaitSettled("bugtracker.notify").get(0);
    assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(job.result()).isEqualTo("{\"recipients\":[\"eve\",\"lin\"],\"sent\":2}");
  }

  @Test
  void finalized_metrics_are_never_modified_by_recalculation() {
    start(config());
    long bug = createBug(tom, "Crash on save", "medium", "eve");
    assertThat(metric("2024-02", "tom").get("bugsReported").asLong())
        .isEqualTo(1); // the synchronous update
    assertThat(lin.post("/metrics/2024-02/finalize", "").json().get("finalized").asInt())
        .isEqualTo(1);

    assertThat(lin.put("/bugs/" + bug + "/severity", "{\"severity\":\"critical\"}").status())
        .isEqualTo(200);

    List<Job> runs = awaitSettled("bugtracker.recalculate-metrics");
    assertThat(runs).singleElement().extracting(Job::state).isEqualTo(JobState.SUCCEEDED);
    assertThat(metric("2024-02", "eve").get("criticalBugs").asLong()).isEqualTo(1);
    JsonNode tomMetric = metric("2024-02", "tom");
    assertThat(tomMetric.get("finalized").asBoolean()).isTrue();
    assertThat(tomMetric.get("bugsReported").asLong()).isEqualTo(1);
    assertThat(tomMetric.get("criticalBugs").asLong()).isZero();

    createBug(tom, "Another", "low", null); // the synchronous update skips a finalized period too
    assertThat(metric("2024-02", "tom").get("bugsReported").asLong()).isEqualTo(1);
  }

  @Test
  void archiving_media_deletes_its_file_and_keeps_its_record() throws Exception {
    start(config());
    long bug = createBug(tom, "Screenshot attached", "low", null);
    long media = upload(tom, bug, "screen.png", "png bytes");
    Path file = dir.resolve("media").resolve(storageKey(media));
    assertThat(file).exists().hasContent("png bytes");

    assertThat(tom.post("/media/" + media + "/archive", "").json().get("status").asText())
        .isEqualTo("archived");

    await()
        .atMost(WAIT)
        .until(() -> tom.get("/media/" + media).json().get("status").asText().equals("purged"));
    assertThat(Files.exists(file)).isFalse();
    JsonNode record = tom.get("/media/" + media).json();
    assertThat(record.get("fileName").asText()).isEqualTo("screen.png");
    assertThat(record.get("purgedAt").isNull()).isFalse();
  }

  @Test
  void
      a_failing_notification_channel_is_retried_with_backoff_without_resending_what_went_through() {
    FlakyChannel flaky =
        new FlakyChannel(3); // attempt 1: both sends fail; 2: one fails; 3: the rest
    start(config().channels(db -> List.of(new InboxChannel(db, clock), flaky)));
    long bug = createBug(tom, "Typo", "low", "eve");

    TestHttp.Response r = lin.put("/bugs/" + bug + "/severity", "{\"severity\":\"high\"}");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("severity").asText()).isEqualTo("high");
    Job job = awaitSettled("bugtracker.notify").get(0);
    assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(job.attempt()).isEqualTo(3);
    assertThat(job.errors())
        .hasSize(2)
        .allSatisfy(e -> assertThat(e.message()).contains("channel down"));
    assertThat(flaky.delivered)
        .extracting(Notification::recipientId)
        .containsExactlyInAnyOrder("tom", "eve");
    assertThat(flaky.calls()).isEqualTo(5);
    assertThat(inbox(tom)).hasSize(1); // the inbox got it on the first attempt, and only then
    assertThat(inbox(eve)).hasSize(1);
    assertThat(inbox(eve).get(0).get("message").asText()).endsWith("from low to high");
  }
}
