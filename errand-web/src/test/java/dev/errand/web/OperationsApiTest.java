package dev.errand.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.JobQuery;
import dev.errand.JobState;
import dev.errand.web.WebFixture.Res;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Schedules, queues, nodes and statistics over a real socket against a real engine. */
class OperationsApiTest extends FixtureTest {
  static final String EMAIL =
      "{\"type\":\"send-email\",\"payload\":{\"to\":\"a\",\"subject\":\"s\",\"password\":\"pw\"}}";

  @Test
  void schedule_is_validated_created_listed_with_next_occurrences_paused_triggered_and_deleted() {
    String def =
        "{\"name\":\"digest\",\"type\":\"send-email\",\"payload\":{\"to\":\"a\",\"subject\":\"s\","
            + "\"password\":\"pw\"},\"schedule\":\"every:PT1H\",\"lookAhead\":2,\"misfire\":\"skip\"}";
    Res valid =
        f.post(
            "/api/schedules/validate?count=3",
            "{\"type\":\"send-email\",\"payload\":{\"to\":\"a\",\"subject\":\"s\",\"password\":null},"
                + "\"schedule\":\"monthly:31 10:00@UTC\",\"startAt\":\"2099-01-01T00:00:00Z\"}");
    assertThat(valid.status()).isEqualTo(200);
    assertThat(valid.json().path("next").toString())
        .isEqualTo("[\"2099-01-31T10:00:00Z\",\"2099-02-28T10:00:00Z\",\"2099-03-31T10:00:00Z\"]");
    assertThat(f.errand.schedules()).noneMatch(s -> !s.builtIn());

    Res created = f.post("/api/schedules", def);
    assertThat(created.status()).isEqualTo(201);
    assertThat(created.json().path("schedule").asText()).isEqualTo("every:PT1H");
    assertThat(created.json().path("misfire").asText()).isEqualTo("skip");
    assertThat(created.json().path("payload").path("password").asText()).isEqualTo("[redacted]");
    assertThat(f.post("/api/schedules", def).status()).as("same definition again").isEqualTo(200);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> f.get("/api/schedules/digest").json().path("upcoming").size() == 2);
    JsonNode one = f.get("/api/schedules/digest").json();
    assertThat(one.path("nextFireTimes")).hasSize(2);
    JsonNode list = f.get("/api/schedules").json().path("schedules");
    assertThat(list.findValuesAsText("name")).contains("digest", "errand.prune");

    Res triggered = f.post("/api/schedules/digest/trigger", null);
    assertThat(triggered.status()).isEqualTo(201);
    long fired = triggered.json().path("id").asLong();
    f.awaitState(fired, JobState.SUCCEEDED);
    assertThat(f.errand.job(fired).orElseThrow().scheduleId()).isEqualTo("digest");

    Res paused = f.post("/api/schedules/digest/pause", null);
    assertThat(paused.json().path("cancelledOccurrences").asInt()).isEqualTo(2);
    assertThat(paused.json().path("schedule").path("paused").asBoolean()).isTrue();
    Res resumed = f.post("/api/schedules/digest/resume", null);
    assertThat(resumed.json().path("schedule").path("paused").asBoolean()).isFalse();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> f.get("/api/schedules/digest").json().path("upcoming").size() == 2);

    Res deleted = f.delete("/api/schedules/digest");
    assertThat(deleted.status()).isEqualTo(200);
    assertThat(deleted.json().path("cancelledOccurrences").asInt()).isEqualTo(2);
    assertThat(f.get("/api/schedules/digest").code()).isEqualTo("not_found");
  }

  @Test
  void queues_show_depth_by_state_and_pause_and_resume_cluster_wide() {
    Res paused = f.post("/api/queues/other/pause", null);
    assertThat(paused.json().path("paused").asBoolean()).isTrue();
    long id =
        f.enqueue(
            "{\"type\":\"send-email\",\"queue\":\"other\",\"payload\":{\"to\":\"a\",\"subject\":\"s\",\"password\":null}}");
    f.enqueue(
        "{\"type\":\"send-email\",\"queue\":\"other\",\"delay\":\"PT1H\",\"payload\":{\"to\":\"a\",\"subject\":\"s\",\"password\":null}}");
    JsonNode other = queue(f.get("/api/queues").json(), "other");
    assertThat(other.path("paused").asBoolean()).isTrue();
    assertThat(other.path("depth").path("QUEUED").asLong()).isEqualTo(1);
    assertThat(other.path("depth").path("SCHEDULED").asLong()).isEqualTo(1);
    assertThat(other.path("waiting").asLong()).isEqualTo(2);
    assertThat(other.path("concurrency").asInt()).isEqualTo(1);
    assertThat(other.path("nodes").get(0).asText()).isEqualTo(f.errand.nodeId());
    assertThat(f.errand.job(id).orElseThrow().state()).isEqualTo(JobState.QUEUED);
    f.post("/api/queues/other/resume", null);
    f.awaitState(id, JobState.SUCCEEDED);
    assertThat(queue(f.get("/api/queues").json(), "other").path("depth").path("SUCCEEDED").asLong())
        .isEqualTo(1);
  }

  private static JsonNode queue(JsonNode body, String name) {
    for (JsonNode q : body.path("queues")) {
      if (q.path("name").asText().equals(name)) {
        return q;
      }
    }
    throw new AssertionError("no queue " + name + " in " + body);
  }

  @Test
  void nodes_show_heartbeat_age_and_their_running_jobs() {
    long running = f.enqueue("{\"type\":\"block\",\"payload\":{}}");
    f.awaitState(running, JobState.RUNNING);
    JsonNode nodes = f.get("/api/nodes").json().path("nodes");
    assertThat(nodes).hasSize(1);
    JsonNode n = nodes.get(0);
    assertThat(n.path("id").asText()).isEqualTo(f.errand.nodeId());
    assertThat(n.path("heartbeatAgeMs").asLong()).isGreaterThanOrEqualTo(0);
    assertThat(n.path("stale").asBoolean()).isFalse();
    assertThat(n.path("queues").path("default").asInt()).isEqualTo(4);
    assertThat(n.path("runningJobs").asInt()).isEqualTo(1);
    assertThat(n.path("running").get(0).asLong()).isEqualTo(running);
  }

  @Test
  void stats_count_by_state_type_and_queue_and_rate_the_window() {
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(f.enqueue(EMAIL));
    }
    ids.add(f.enqueue("{\"type\":\"fail\",\"payload\":{}}"));
    ids.add(f.enqueue("{\"type\":\"flaky\",\"payload\":{}}"));
    ids.add(f.enqueue("{\"type\":\"slow\",\"payload\":{}}"));
    for (long id : ids) {
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> f.errand.job(id).orElseThrow().state().isFinal());
    }
    JsonNode s = f.get("/api/stats?window=PT1H").json();
    JsonNode counts = s.path("counts");
    assertThat(counts.path("byType").path("send-email").path("SUCCEEDED").asLong()).isEqualTo(3);
    assertThat(counts.path("byType").path("fail").path("FAILED").asLong()).isEqualTo(1);
    assertThat(counts.path("byQueue").path("default").path("SUCCEEDED").asLong()).isEqualTo(4);
    assertThat(counts.path("byState").path("FAILED").asLong()).isEqualTo(2);
    JsonNode w = s.path("window");
    // the built-in maintenance schedules may finish jobs of their own meanwhile: count from the
    // answer
    long finished = w.path("finished").asLong();
    long stored =
        f.errand
            .jobs(
                JobQuery.all()
                    .states(JobState.SUCCEEDED, JobState.FAILED)
                    .created(Instant.EPOCH, null)
                    .limit(1000))
            .jobs()
            .size();
    assertThat(finished).isGreaterThanOrEqualTo(ids.size()).isLessThanOrEqualTo(stored);
    assertThat(w.path("succeeded").asLong() + w.path("failed").asLong()).isEqualTo(finished);
    assertThat(w.path("failed").asLong()).isEqualTo(2);
    assertThat(w.path("retried").asLong()).as("flaky needed two attempts").isEqualTo(1);
    assertThat(w.path("timedOut").asLong()).as("slow timed out").isEqualTo(1);
    assertThat(w.path("errorRate").asDouble()).isEqualTo(2.0 / finished);
    assertThat(w.path("successRate").asDouble()).isEqualTo((finished - 2.0) / finished);
    assertThat(w.path("timeoutRate").asDouble()).isEqualTo(1.0 / finished);
    assertThat(w.path("maxDurationMs").asLong())
        .isGreaterThanOrEqualTo(w.path("avgDurationMs").asLong());
    assertThat(w.path("jobsPerHour").asDouble()).isEqualTo((double) finished);
    assertThat(w.path("throughputPerMinute").asDouble()).isEqualTo(finished / 60.0);
    JsonNode flaky = w.path("byType").path("flaky");
    assertThat(flaky.path("finished").asLong()).isEqualTo(1);
    assertThat(flaky.path("retried").asLong()).isEqualTo(1);
    assertThat(flaky.path("retryRate").asDouble()).isEqualTo(1.0);
    assertThat(w.path("byType").path("slow").path("timedOut").asLong()).isEqualTo(1);
    long perQueue = 0;
    for (JsonNode q : w.path("byQueue")) {
      perQueue += q.path("finished").asLong();
    }
    assertThat(perQueue).isEqualTo(finished);
  }

  @Test
  void stats_series_counts_finished_jobs_per_step_and_rejects_bad_steps() {
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(f.enqueue(EMAIL));
    }
    ids.add(f.enqueue("{\"type\":\"fail\",\"payload\":{}}"));
    for (long id : ids) {
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> f.errand.job(id).orElseThrow().state().isFinal());
    }
    JsonNode s = f.get("/api/stats/series?window=PT10M&step=PT1M").json();
    JsonNode points = s.path("points");
    assertThat(points).hasSize(10);
    long ok = 0;
    long bad = 0;
    Instant previous = Instant.EPOCH;
    for (JsonNode p : points) {
      Instant at = Instant.parse(p.path("at").asText());
      assertThat(at).isAfter(previous);
      assertThat(at.getEpochSecond() % 60).as("steps start on the minute").isZero();
      previous = at;
      ok += p.path("succeeded").asLong();
      bad += p.path("failed").asLong();
    }
    // maintenance jobs of the engine may finish too: at least ours, and exactly our failure
    assertThat(ok).isGreaterThanOrEqualTo(3);
    assertThat(bad).isEqualTo(1);

    Res tooFine = f.get("/api/stats/series?step=PT1S");
    assertThat(tooFine.status()).isEqualTo(400);
    assertThat(tooFine.code()).isEqualTo("invalid_parameter");
    assertThat(tooFine.message()).contains("step must be an ISO-8601 duration");
    Res tooMany = f.get("/api/stats/series?window=P30D&step=PT1M");
    assertThat(tooMany.status()).isEqualTo(400);
    assertThat(tooMany.message()).contains("more than 240 points").contains("longer step");
    assertThat(f.get("/api/stats/series?bucket=PT1M").status()).isEqualTo(400);
  }
}
