package dev.errand;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The order of one job's events when a worker starts it before its enqueuer announced it. */
class EventDispatcherTest {
  private final EventDispatcher events = new EventDispatcher(new Meters(new SimpleMeterRegistry()));
  private final List<String> seen = new CopyOnWriteArrayList<>();
  private final AtomicLong markers = new AtomicLong(-1000);

  EventDispatcherTest() {
    events.subscribe(e -> seen.add(e.kind() + " " + e.jobId()), false);
  }

  @AfterEach
  void stop() throws InterruptedException {
    events.stop();
  }

  private static JobEvent event(JobEvent.Kind kind, long id, int attempt) {
    return new JobEvent(kind, id, "t", "q", attempt, Instant.EPOCH, "n", null);
  }

  /** A marker through the events thread: everything published before it has been handled. */
  private void flush() {
    long id = markers.decrementAndGet();
    events.publish(event(JobEvent.Kind.SUCCEEDED, id, 2));
    await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("SUCCEEDED " + id));
    seen.remove("SUCCEEDED " + id);
  }

  @Test
  void a_start_published_before_its_enqueue_is_delivered_after_it() {
    long write = events.beginWrite();
    events.publish(event(JobEvent.Kind.STARTED, 7, 1));
    events.publish(event(JobEvent.Kind.SUCCEEDED, 7, 1));
    flush();
    assertThat(seen).as("held back while the enqueue write is open").isEmpty();

    events.publish(event(JobEvent.Kind.ENQUEUED, 7, 0));
    events.endWrite(write);
    flush();
    assertThat(seen).containsExactly("ENQUEUED 7", "STARTED 7", "SUCCEEDED 7");
  }

  @Test
  void a_write_that_ends_while_its_start_waits_in_the_queue_still_delivers_enqueued_first()
      throws InterruptedException {
    // Seen once in PostgresEngineTest: the enqueuer published ENQUEUED and ended its write while
    // the events thread had not yet reached the STARTED the worker published before; the STARTED
    // was held, found no write open, and went out ahead of the ENQUEUED queued behind it.
    CountDownLatch busy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    events.callback(
        () -> {
          busy.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    assertThat(busy.await(10, TimeUnit.SECONDS)).isTrue();
    long write = events.beginWrite();
    events.publish(event(JobEvent.Kind.STARTED, 11, 1));
    events.publish(event(JobEvent.Kind.ENQUEUED, 11, 0));
    events.endWrite(write);
    release.countDown();
    flush();
    assertThat(seen).containsExactly("ENQUEUED 11", "STARTED 11");
  }

  @Test
  void a_start_of_a_job_another_node_enqueued_waits_only_for_the_writes_open_before_it() {
    long first = events.beginWrite();
    events.publish(event(JobEvent.Kind.STARTED, 8, 1)); // nobody here enqueued job 8
    flush();
    long second = events.beginWrite(); // began after the start: must not hold it
    events.endWrite(first);
    flush();
    assertThat(seen).containsExactly("STARTED 8");
    events.endWrite(second);
  }

  @Test
  void events_pass_at_once_when_no_enqueue_write_is_open_and_for_later_attempts() {
    events.publish(event(JobEvent.Kind.STARTED, 9, 1));
    long write = events.beginWrite();
    events.publish(event(JobEvent.Kind.STARTED, 10, 2)); // a retry: its ENQUEUED came long ago
    flush();
    assertThat(seen).containsExactly("STARTED 9", "STARTED 10");
    events.endWrite(write);
  }

  @Test
  void stopping_delivers_what_is_still_held() throws InterruptedException {
    events.beginWrite(); // never ended, as by an enqueuer that died
    events.publish(event(JobEvent.Kind.STARTED, 11, 1));
    flush();
    assertThat(seen).isEmpty();
    events.stop();
    assertThat(seen).containsExactly("STARTED 11");
  }
}
