package dev.errand;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The wire form of events shared between nodes: size limit, round trip, what is ignored. */
class ClusterEventsTest {
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final MemoryJobStore store = MemoryJobStore.create();
  private final List<JobEvent> heardByA = new CopyOnWriteArrayList<>();
  private final List<JobEvent> heardByB = new CopyOnWriteArrayList<>();
  private final ClusterEvents a = node("node-a", heardByA);
  private final ClusterEvents b = node("node-b", heardByB);

  private ClusterEvents node(String id, List<JobEvent> heard) {
    return new ClusterEvents(store, Errand.defaultMapper(), id, new Meters(registry), heard::add);
  }

  private static JobEvent event(int i, String error) {
    return new JobEvent(
        JobEvent.Kind.values()[i % JobEvent.Kind.values().length],
        i,
        "type-ü-" + i,
        "queue",
        i % 5,
        Instant.ofEpochMilli(1_700_000_000_000L + i),
        "node-a",
        error);
  }

  @Test
  void events_are_packed_under_the_size_limit_and_read_back_on_another_node() {
    List<JobEvent> sent = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      sent.add(event(i, i % 3 == 0 ? "ä".repeat(2_000) + " <b>boom</b> \"quoted\"" : null));
    }
    List<String> messages = a.encode(sent);
    assertThat(messages).hasSizeGreaterThan(10);
    assertThat(messages)
        .allMatch(
            m -> m.getBytes(StandardCharsets.UTF_8).length <= store.maxEventMessageBytes(), "fits");

    messages.forEach(b::receive);

    assertThat(heardByB).hasSize(1_000);
    for (int i = 0; i < 1_000; i++) {
      JobEvent s = sent.get(i);
      JobEvent r = heardByB.get(i);
      assertThat(r.kind()).isEqualTo(s.kind());
      assertThat(r.jobId()).isEqualTo(s.jobId());
      assertThat(r.type()).isEqualTo(s.type());
      assertThat(r.queue()).isEqualTo(s.queue());
      assertThat(r.attempt()).isEqualTo(s.attempt());
      assertThat(r.at()).isEqualTo(s.at());
      assertThat(r.nodeId()).isEqualTo("node-a");
      if (s.error() == null) {
        assertThat(r.error()).isNull();
      } else {
        assertThat(r.error()).hasSize(ClusterEvents.MAX_ERROR_CHARS).endsWith("…");
        assertThat(s.error()).startsWith(r.error().substring(0, ClusterEvents.MAX_ERROR_CHARS - 1));
      }
    }
  }

  @Test
  void a_nodes_own_messages_and_unreadable_ones_are_ignored_without_failing() {
    a.receive(a.encode(List.of(event(1, null))).get(0));
    b.receive("not json");
    b.receive("{\"v\":2,\"node\":\"node-c\",\"events\":[]}");
    b.receive(
        "{\"v\":1,\"node\":\"node-c\",\"events\":[[\"NO_SUCH_KIND\",1,\"t\",\"q\",1,0,null]]}");
    b.receive("{\"v\":1,\"node\":\"node-c\",\"events\":[[\"SUCCEEDED\",5,\"t\",\"q\",1,0,null]]}");

    assertThat(heardByA).isEmpty();
    assertThat(heardByB).extracting(JobEvent::jobId).containsExactly(5L);
    assertThat(registry.get("errand.events.cluster.undecodable").counter().count()).isEqualTo(3);
  }

  @Test
  void an_engine_queues_events_for_sharing_only_while_another_engine_listens() throws Exception {
    JobEvent e = event(1, null);
    assertThat(store.eventListeners()).isZero();
    a.offer(e);
    assertThat(a.queued()).as("nobody listens").isZero();
    a.listen(true);
    a.offer(e);
    assertThat(a.queued()).as("only its own subscription").isZero();
    b.listen(true);
    assertThat(store.eventListeners()).isEqualTo(2);
    a.offer(e);
    assertThat(a.queued()).isEqualTo(1);
    b.listen(false);
    a.listen(false);
    assertThat(store.eventListeners()).isZero();
  }
}
