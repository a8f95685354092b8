package dev.errand.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.JobState;
import dev.errand.web.SseClient.Frame;
import dev.errand.web.WebFixture.Res;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Server-Sent Events with a real streaming client: live events, one job's events, reconnects. */
class EventStreamTest {
  static final String EMAIL =
      "{\"type\":\"send-email\",\"payload\":{\"to\":\"a\",\"subject\":\"s\",\"password\":null}}";

  @TempDir Path dir;
  WebFixture f;

  @AfterEach
  void stop() {
    assertThat(f.web.internalErrors()).isZero();
    f.close();
  }

  private SseClient connect(String path, String lastEventId) throws Exception {
    return new SseClient(f.http, f.base() + path, f.key, lastEventId);
  }

  private static JsonNode data(Frame fr) {
    try {
      return Json.MAPPER.readTree(fr.data());
    } catch (Exception e) {
      throw new AssertionError(fr.toString(), e);
    }
  }

  private static List<String> kindsOf(SseClient c, long jobId) {
    return c.jobFrames().stream()
        .map(EventStreamTest::data)
        .filter(d -> d.path("jobId").asLong() == jobId)
        .map(d -> d.path("kind").asText())
        .toList();
  }

  @Test
  void all_events_stream_delivers_every_job_event_live_and_keeps_idle_connections_alive()
      throws Exception {
    f = new WebFixture(dir, b -> b.sseKeepAlive(Duration.ofMillis(100)));
    try (SseClient c = connect("/api/events", null)) {
      assertThat(c.status).isEqualTo(200);
      long id = f.enqueue(EMAIL);
      await().atMost(Duration.ofSeconds(20)).until(() -> kindsOf(c, id).contains("SUCCEEDED"));
      // the engine publishes ENQUEUED after the store write, so a fast worker's STARTED may come
      // first
      assertThat(kindsOf(c, id)).containsExactlyInAnyOrder("ENQUEUED", "STARTED", "SUCCEEDED");
      JsonNode ok =
          c.jobFrames().stream()
              .map(EventStreamTest::data)
              .filter(
                  d ->
                      d.path("jobId").asLong() == id && d.path("kind").asText().equals("SUCCEEDED"))
              .findFirst()
              .orElseThrow();
      assertThat(ok.path("type").asText()).isEqualTo("send-email");
      assertThat(ok.path("queue").asText()).isEqualTo("default");
      List<Long> seqs =
          c.jobFrames().stream()
              .map(fr -> Long.parseLong(fr.id().substring(fr.id().lastIndexOf('-') + 1)))
              .toList();
      assertThat(seqs).isSorted().doesNotHaveDuplicates();
      int before = c.comments.get();
      await().atMost(Duration.ofSeconds(10)).until(() -> c.comments.get() > before + 1);
    }
  }

  @Test
  void one_job_stream_starts_with_its_state_and_carries_only_its_events() throws Exception {
    f = new WebFixture(dir, b -> {});
    long id = f.enqueue("{\"type\":\"block\",\"payload\":{}}");
    f.awaitState(id, JobState.RUNNING);
    try (SseClient c = connect("/api/jobs/" + id + "/events", null)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> !c.frames.isEmpty());
      Frame first = c.frames.get(0);
      assertThat(first.event()).isEqualTo("state");
      assertThat(data(first).path("state").asText()).isEqualTo("RUNNING");
      long other = f.enqueue(EMAIL);
      f.awaitState(other, JobState.SUCCEEDED);
      f.release();
      await().atMost(Duration.ofSeconds(20)).until(() -> kindsOf(c, id).contains("SUCCEEDED"));
      assertThat(c.jobFrames())
          .allSatisfy(fr -> assertThat(data(fr).path("jobId").asLong()).isEqualTo(id));
    }
  }

  @Test
  void reconnect_with_last_event_id_replays_exactly_the_missed_events() throws Exception {
    f = new WebFixture(dir, b -> {});
    try (SseClient witness = connect("/api/events", null)) {
      SseClient first = connect("/api/events", null);
      long a = f.enqueue(EMAIL);
      await().atMost(Duration.ofSeconds(20)).until(() -> kindsOf(first, a).contains("SUCCEEDED"));
      String last = first.lastId();
      first.close();
      long b = f.enqueue(EMAIL);
      long c = f.enqueue(EMAIL);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  kindsOf(witness, b).contains("SUCCEEDED")
                      && kindsOf(witness, c).contains("SUCCEEDED"));
      try (SseClient again = connect("/api/events", last)) {
        List<String> missed =
            witness.jobFrames().stream()
                .map(Frame::id)
                .dropWhile(id -> !id.equals(last))
                .skip(1)
                .toList();
        assertThat(missed).isNotEmpty();
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> again.jobFrames().size() >= missed.size());
        assertThat(again.jobFrames().stream().map(Frame::id).toList())
            .startsWith(missed.toArray(String[]::new));
        assertThat(again.frames).noneMatch(fr -> fr.event().equals("reset"));
        assertThat(again.jobFrames().stream().map(Frame::id))
            .doesNotContain(last)
            .doesNotHaveDuplicates();
      }
    }
  }

  @Test
  void a_client_too_far_behind_or_from_another_stream_gets_a_reset_then_live_events()
      throws Exception {
    f = new WebFixture(dir, b -> b.sseReplay(3));
    String last;
    try (SseClient first = connect("/api/events", null)) {
      long a = f.enqueue(EMAIL);
      await().atMost(Duration.ofSeconds(20)).until(() -> kindsOf(first, a).contains("SUCCEEDED"));
      last = first.lastId();
    }
    long b = f.enqueue(EMAIL);
    long c = f.enqueue(EMAIL);
    f.awaitState(b, JobState.SUCCEEDED);
    f.awaitState(c, JobState.SUCCEEDED);
    try (SseClient behind = connect("/api/events", last)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> !behind.frames.isEmpty());
      Frame reset = behind.frames.get(0);
      assertThat(reset.event()).isEqualTo("reset");
      assertThat(data(reset).path("reason").asText()).isEqualTo("too_far_behind");
      assertThat(data(reset).path("message").asText()).contains("last 3");
      long d = f.enqueue(EMAIL);
      await().atMost(Duration.ofSeconds(20)).until(() -> kindsOf(behind, d).contains("SUCCEEDED"));
      assertThat(kindsOf(behind, b)).as("nothing older is replayed after a reset").isEmpty();
    }
    try (SseClient stranger = connect("/api/events", "0badcafe-2")) {
      await().atMost(Duration.ofSeconds(10)).until(() -> !stranger.frames.isEmpty());
      assertThat(data(stranger.frames.get(0)).path("reason").asText())
          .isEqualTo("unknown_event_id");
    }
  }

  @Test
  void streams_are_bounded_and_end_when_the_web_closes() throws Exception {
    // a closed client is noticed at the next write: keep-alives make that prompt
    f = new WebFixture(dir, b -> b.sseMaxClients(1).sseKeepAlive(Duration.ofMillis(50)));
    SseClient one = connect("/api/events", null);
    await().atMost(Duration.ofSeconds(10)).until(() -> f.web.openStreams() == 1);
    Res second = f.get("/api/events");
    assertThat(second.status()).isEqualTo(503);
    assertThat(second.code()).isEqualTo("too_many_streams");
    one.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> f.web.openStreams() == 0);
    SseClient two = connect("/api/events", null);
    await().atMost(Duration.ofSeconds(10)).until(() -> f.web.openStreams() == 1);
    f.web.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> two.ended);
    two.close();
  }
}
