package dev.errand.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.Job;
import dev.errand.JobState;
import dev.errand.web.WebFixture.Res;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The job endpoints over a real socket against a real engine on SQLite. */
class JobsApiTest extends FixtureTest {
  @Test
  void enqueued_job_runs_and_reads_back_with_result_and_redacted_payload() {
    Res r =
        f.post(
            "/api/jobs",
            """
        {"type":"send-email","payload":{"to":"a@example.com","subject":"hi","password":"hunter2"},
         "tags":["welcome"],"priority":5,"maxAttempts":3}""");
    assertThat(r.status()).isEqualTo(201);
    assertThat(r.json().path("created").asBoolean()).isTrue();
    long id = r.json().path("id").asLong();
    f.awaitState(id, JobState.SUCCEEDED);
    JsonNode job = f.get("/api/jobs/" + id).json();
    assertThat(job.path("state").asText()).isEqualTo("SUCCEEDED");
    assertThat(job.path("type").asText()).isEqualTo("send-email");
    assertThat(job.path("priority").asInt()).isEqualTo(5);
    assertThat(job.path("maxAttempts").asInt()).isEqualTo(3);
    assertThat(job.path("attempt").asInt()).isEqualTo(1);
    assertThat(job.path("tags").get(0).asText()).isEqualTo("welcome");
    assertThat(job.path("payload").path("to").asText()).isEqualTo("a@example.com");
    assertThat(job.path("payload").path("password").asText()).isEqualTo("[redacted]");
    assertThat(job.path("result").path("sentTo").asText()).isEqualTo("a@example.com");
    assertThat(job.path("result").path("password").asText()).isEqualTo("[redacted]");
    assertThat(f.get("/api/jobs/" + id).body()).doesNotContain("hunter2");
    assertThat(f.errand.job(id).orElseThrow().payload())
        .as("stored unredacted")
        .contains("hunter2");
  }

  @Test
  void delayed_and_timed_enqueues_wait_and_a_unique_key_returns_the_live_job() {
    Res delayed =
        f.post(
            "/api/jobs",
            """
        {"type":"send-email","payload":{"to":"a","subject":"s","password":null},"delay":"PT1H",
         "uniqueKey":"welcome:1","queue":"other"}""");
    assertThat(delayed.status()).isEqualTo(201);
    JsonNode job = delayed.json().path("job");
    assertThat(job.path("state").asText()).isEqualTo("SCHEDULED");
    assertThat(job.path("queue").asText()).isEqualTo("other");
    assertThat(job.path("uniqueKey").asText()).isEqualTo("welcome:1");
    Res again =
        f.post(
            "/api/jobs",
            """
        {"type":"send-email","payload":{"to":"b","subject":"s","password":null},"uniqueKey":"welcome:1"}""");
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.json().path("created").asBoolean()).isFalse();
    assertThat(again.json().path("id").asLong()).isEqualTo(delayed.json().path("id").asLong());
    Res at =
        f.post(
            "/api/jobs",
            """
        {"type":"send-email","payload":{"to":"c","subject":"s","password":null},"runAt":"2999-01-01T00:00:00Z"}""");
    assertThat(at.json().path("job").path("runAt").asText()).isEqualTo("2999-01-01T00:00:00Z");
  }

  @Test
  void batch_enqueue_creates_every_job_in_order() {
    Res r =
        f.post(
            "/api/jobs/batch",
            """
        {"jobs":[{"type":"send-email","payload":{"to":"1","subject":"s","password":null}},
                 {"type":"flaky","payload":{}},
                 {"type":"send-email","payload":{"to":"3","subject":"s","password":null},"tags":["b"]}]}""");
    assertThat(r.status()).isEqualTo(201);
    JsonNode jobs = r.json().path("jobs");
    assertThat(jobs).hasSize(3);
    assertThat(jobs.get(1).path("job").path("type").asText()).isEqualTo("flaky");
    assertThat(jobs.get(0).path("id").asLong()).isLessThan(jobs.get(2).path("id").asLong());
    jobs.forEach(j -> f.awaitState(j.path("id").asLong(), JobState.SUCCEEDED));
    Job flaky = f.errand.job(jobs.get(1).path("id").asLong()).orElseThrow();
    assertThat(flaky.attempt()).isEqualTo(2);
    JsonNode read = f.get("/api/jobs/" + flaky.id()).json();
    assertThat(read.path("errors")).hasSize(1);
    assertThat(read.path("errors").get(0).path("message").asText()).contains("first attempt fails");
    assertThat(read.path("errors").get(0).path("kind").asText()).isEqualTo("error");
  }

  @Test
  void job_detail_lists_every_attempt_with_its_error_and_duration() {
    long flaky = f.enqueue("{\"type\":\"flaky\",\"payload\":{}}");
    long slow = f.enqueue("{\"type\":\"slow\",\"payload\":{}}");
    f.awaitState(flaky, JobState.SUCCEEDED);
    f.awaitState(slow, JobState.FAILED);

    JsonNode job = f.get("/api/jobs/" + flaky).json();
    JsonNode attempts = job.path("attempts");
    assertThat(attempts).hasSize(2);
    JsonNode failed = attempts.get(0);
    assertThat(failed.path("attempt").asInt()).isEqualTo(1);
    assertThat(failed.path("outcome").asText()).isEqualTo("FAILED");
    assertThat(failed.path("kind").asText()).isEqualTo("error");
    assertThat(failed.path("message").asText()).contains("first attempt fails");
    assertTimed(failed);
    assertThat(job.path("errors").get(0).path("startedAt").asText())
        .isEqualTo(failed.path("startedAt").asText());
    JsonNode succeeded = attempts.get(1);
    assertThat(succeeded.path("attempt").asInt()).isEqualTo(2);
    assertThat(succeeded.path("outcome").asText()).isEqualTo("SUCCEEDED");
    assertThat(succeeded.path("kind").isNull()).isTrue();
    assertThat(succeeded.path("message").isNull()).isTrue();
    assertTimed(succeeded);
    assertThat(succeeded.path("startedAt").asText()).isEqualTo(job.path("startedAt").asText());
    assertThat(succeeded.path("finishedAt").asText()).isEqualTo(job.path("finishedAt").asText());
    assertThat(Instant.parse(succeeded.path("startedAt").asText()))
        .as("attempt 2 starts after attempt 1 ended")
        .isAfterOrEqualTo(Instant.parse(failed.path("finishedAt").asText()));

    JsonNode timedOut = f.get("/api/jobs/" + slow).json().path("attempts");
    assertThat(timedOut).hasSize(1);
    assertThat(timedOut.get(0).path("outcome").asText()).isEqualTo("TIMED_OUT");
    assertThat(timedOut.get(0).path("kind").asText()).isEqualTo("timeout");
    assertTimed(timedOut.get(0));

    assertThat(f.get("/api/jobs?type=flaky").json().path("jobs").get(0).path("attempts"))
        .as("the list answers the same job shape")
        .hasSize(2);
  }

  /** An attempt with a start, an end not before it, and their difference as durationMs. */
  private static void assertTimed(JsonNode attempt) {
    Instant started = Instant.parse(attempt.path("startedAt").asText());
    Instant finished = Instant.parse(attempt.path("finishedAt").asText());
    assertThat(started).isBeforeOrEqualTo(finished);
    assertThat(attempt.path("durationMs").isNumber()).isTrue();
    assertThat(attempt.path("durationMs").asDouble())
        .isEqualTo(java.time.Duration.between(started, finished).toNanos() / 1_000 / 1_000.0);
  }

  @Test
  void batch_jobs_of_one_type_with_equal_options_share_one_store_write() {
    StringBuilder jobs = new StringBuilder();
    for (int i = 0; i < 50; i++) {
      jobs.append(i == 0 ? "" : ",")
          .append("{\"type\":\"send-email\",\"delay\":\"PT1H\",\"tags\":[\"bulk\"],")
          .append("\"payload\":{\"to\":\"")
          .append(i)
          .append("\",\"subject\":\"s\",\"password\":null}}");
    }
    Res r = f.post("/api/jobs/batch", "{\"jobs\":[" + jobs + "]}");
    assertThat(r.status()).isEqualTo(201);
    List<Long> ids = new ArrayList<>();
    r.json().path("jobs").forEach(j -> ids.add(j.path("id").asLong()));
    assertThat(ids).hasSize(50).isSorted().doesNotHaveDuplicates();
    List<Job> stored = ids.stream().map(id -> f.errand.job(id).orElseThrow()).toList();
    assertThat(stored)
        .extracting(Job::createdAt)
        .as("one transaction, one enqueue time")
        .containsOnly(stored.get(0).createdAt());
    assertThat(stored).extracting(Job::runAt).containsOnly(stored.get(0).runAt());
    assertThat(stored.get(49).payload()).contains("\"to\":\"49\"");
  }

  @Test
  void list_filters_by_state_type_queue_tag_and_time_and_pages_with_a_cursor() {
    List<Long> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(
          f.enqueue(
              "{\"type\":\"send-email\",\"delay\":\"PT1H\",\"payload\":{\"to\":\""
                  + i
                  + "\",\"subject\":\"s\",\"password\":null}"
                  + (i == 2 ? ",\"tags\":[\"vip\"]" : "")
                  + "}"));
    }
    long other =
        f.enqueue("{\"type\":\"flaky\",\"delay\":\"PT1H\",\"queue\":\"other\",\"payload\":{}}");
    JsonNode p1 = f.get("/api/jobs?type=send-email&limit=2").json();
    assertThat(ids(p1)).containsExactly(ids.get(4), ids.get(3));
    JsonNode p2 =
        f.get("/api/jobs?type=send-email&limit=2&cursor=" + p1.path("nextCursor").asLong()).json();
    assertThat(ids(p2)).containsExactly(ids.get(2), ids.get(1));
    JsonNode p3 =
        f.get("/api/jobs?type=send-email&limit=2&cursor=" + p2.path("nextCursor").asLong()).json();
    assertThat(ids(p3)).containsExactly(ids.get(0));
    assertThat(p3.path("nextCursor").isNull()).isTrue();
    assertThat(ids(f.get("/api/jobs?queue=other").json())).containsExactly(other);
    assertThat(ids(f.get("/api/jobs?tag=vip").json())).containsExactly(ids.get(2));
    assertThat(ids(f.get("/api/jobs?state=scheduled&type=flaky").json())).containsExactly(other);
    assertThat(ids(f.get("/api/jobs?state=FAILED,SUCCEEDED").json())).isEmpty();
    Instant third = f.errand.job(ids.get(2)).orElseThrow().createdAt();
    List<Long> fromThird = new ArrayList<>();
    for (long id : List.of(ids.get(4), ids.get(3), ids.get(2), ids.get(1), ids.get(0))) {
      if (!f.errand.job(id).orElseThrow().createdAt().isBefore(third)) {
        fromThird.add(id);
      }
    }
    assertThat(fromThird).contains(ids.get(2)).doesNotContain(ids.get(0), ids.get(1));
    assertThat(ids(f.get("/api/jobs?type=send-email&from=" + third).json()))
        .containsExactlyElementsOf(fromThird);
    Instant first = f.errand.job(ids.get(0)).orElseThrow().createdAt();
    assertThat(ids(f.get("/api/jobs?type=send-email&to=" + first).json())).isEmpty();
    assertThat(ids(f.get("/api/jobs?type=send-email&from=" + first + "&to=" + third).json()))
        .doesNotContain(ids.get(2), ids.get(3), ids.get(4))
        .contains(ids.get(0));
  }

  @Test
  void failed_job_is_retried_cancelled_and_deleted_by_hand() {
    long id = f.enqueue("{\"type\":\"fail\",\"payload\":{}}");
    f.awaitState(id, JobState.FAILED);
    JsonNode failed = f.get("/api/jobs/" + id).json();
    assertThat(failed.path("errors").get(0).path("kind").asText()).isEqualTo("permanent");
    assertThat(failed.path("lastError").asText()).contains("the mail server said no");
    Res retried = f.post("/api/jobs/" + id + "/retry", null);
    assertThat(retried.status()).isEqualTo(200);
    f.awaitState(id, JobState.FAILED);
    assertThat(f.errand.job(id).orElseThrow().errors()).hasSize(2);

    long waiting = f.enqueue("{\"type\":\"flaky\",\"delay\":\"PT1H\",\"payload\":{}}");
    Res cancelled = f.post("/api/jobs/" + waiting + "/cancel", null);
    assertThat(cancelled.status()).isEqualTo(200);
    assertThat(cancelled.json().path("state").asText()).isEqualTo("CANCELLED");
    Res twice = f.post("/api/jobs/" + waiting + "/cancel", null);
    assertThat(twice.status()).isEqualTo(409);
    assertThat(twice.code()).isEqualTo("invalid_state");
    assertThat(twice.message()).contains("CANCELLED");

    long running = f.enqueue("{\"type\":\"block\",\"payload\":{}}");
    f.awaitState(running, JobState.RUNNING);
    Res refused = f.delete("/api/jobs/" + running);
    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.message()).contains("cancel it first");
    assertThat(f.delete("/api/jobs/" + id).status()).isEqualTo(200);
    assertThat(f.get("/api/jobs/" + id).status()).isEqualTo(404);
    assertThat(f.post("/api/jobs/" + id + "/retry", null).code()).isEqualTo("not_found");
  }

  @Test
  void bulk_retry_and_delete_touch_only_failed_jobs_matching_the_filter() {
    List<Long> failed = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      failed.add(
          f.enqueue(
              "{\"type\":\"fail\",\"payload\":{}" + (i == 0 ? ",\"tags\":[\"x\"]" : "") + "}"));
    }
    long ok =
        f.enqueue(
            "{\"type\":\"send-email\",\"payload\":{\"to\":\"a\",\"subject\":\"s\",\"password\":null}}");
    failed.forEach(id -> f.awaitState(id, JobState.FAILED));
    f.awaitState(ok, JobState.SUCCEEDED);

    Res tagged = f.post("/api/jobs/bulk-retry", "{\"tag\":\"x\"}");
    assertThat(tagged.status()).isEqualTo(200);
    assertThat(tagged.json().path("matched").asInt()).isEqualTo(1);
    assertThat(tagged.json().path("retried").asInt()).isEqualTo(1);
    f.awaitState(failed.get(0), JobState.FAILED);
    assertThat(f.errand.job(failed.get(0)).orElseThrow().errors()).hasSize(2);
    assertThat(f.errand.job(failed.get(1)).orElseThrow().errors()).hasSize(1);

    Res limited = f.post("/api/jobs/bulk-delete", "{\"type\":\"fail\",\"limit\":2}");
    assertThat(limited.json().path("deleted").asInt()).isEqualTo(2);
    assertThat(limited.json().path("more").asBoolean()).isTrue();
    Res rest = f.post("/api/jobs/bulk-delete", "{}");
    assertThat(rest.json().path("deleted").asInt()).isEqualTo(1);
    assertThat(rest.json().path("more").asBoolean()).isFalse();
    failed.forEach(id -> assertThat(f.errand.job(id)).isEmpty());
    assertThat(f.errand.job(ok)).as("succeeded jobs are untouched").isPresent();
  }

  private static List<Long> ids(JsonNode page) {
    List<Long> out = new ArrayList<>();
    page.path("jobs").forEach(j -> out.add(j.path("id").asLong()));
    return out;
  }
}
