package dev.errand.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.Errand;
import dev.errand.JobHandle;
import dev.errand.JobType;
import dev.errand.MemoryJobStore;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The event stream of one node shows the jobs another node runs: two engines share one store (a
 * memory store shared in this JVM stands for a PostgreSQL database here; PostgresEngineTest covers
 * the NOTIFY channel itself), the API is served by the node that does not run the job's queue.
 */
class ClusterEventStreamTest {
  record Work(String what) {}

  private final MemoryJobStore store = MemoryJobStore.create();
  private final Errand front = engine("node-front", "front");
  private final Errand back = engine("node-back", "work");
  private ErrandWeb web;

  private Errand engine(String node, String queue) {
    return Errand.builder()
        .store(store)
        .nodeId(node)
        .queue(queue, 2)
        .pollInterval(Duration.ofMillis(50))
        .build();
  }

  @AfterEach
  void stop() {
    if (web != null) {
      assertThat(web.internalErrors()).isZero();
      web.close();
    }
    back.close();
    front.close();
  }

  @Test
  void a_node_streams_the_events_of_jobs_another_node_runs() throws Exception {
    JobType<Work> type = JobType.of("work", Work.class, (ctx, w) -> {}).queue("work");
    front.register(type);
    back.register(type);
    front.start();
    back.start();
    web = ErrandWeb.create(front, WebConfig.builder().port(0).build()).start();
    HttpClient http = HttpClient.newHttpClient();
    try (SseClient c =
        new SseClient(http, "http://127.0.0.1:" + web.port() + "/api/events", null, null)) {
      assertThat(c.status).isEqualTo(200);
      JobHandle h = front.enqueue(type, new Work("x"));
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> framesOf(c, h.id()).stream().anyMatch(d -> kind(d).equals("SUCCEEDED")));
      List<JsonNode> frames = framesOf(c, h.id());
      assertThat(frames).extracting(ClusterEventStreamTest::kind).contains("ENQUEUED", "STARTED");
      assertThat(frames)
          .filteredOn(d -> !kind(d).equals("ENQUEUED"))
          .allMatch(d -> d.path("nodeId").asText().equals("node-back"));
      assertThat(frames)
          .filteredOn(d -> kind(d).equals("ENQUEUED"))
          .allMatch(d -> d.path("nodeId").asText().equals("node-front"));
    }
  }

  private static String kind(JsonNode d) {
    return d.path("kind").asText();
  }

  private static List<JsonNode> framesOf(SseClient c, long jobId) {
    return c.jobFrames().stream()
        .map(
            f -> {
              try {
                return Json.MAPPER.readTree(f.data());
              } catch (Exception e) {
                throw new AssertionError(f.toString(), e);
              }
            })
        .filter(d -> d.path("jobId").asLong() == jobId)
        .toList();
  }
}
