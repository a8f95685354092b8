package dev.errand.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.errand.JobEvent;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The stream's bounds on their own: a client that stops reading never blocks the engine's event
 * thread and is disconnected once its queue is full; the replay buffer keeps the newest events.
 */
class EventStreamBufferTest {
  private static JobEvent event(long jobId) {
    return new JobEvent(JobEvent.Kind.ENQUEUED, jobId, "t", "q", 0, Instant.EPOCH, "n", null);
  }

  /** An output stream whose writes wait until released, like a client that stopped reading. */
  private static final class StuckOutput extends OutputStream {
    final CountDownLatch release = new CountDownLatch(1);
    final CountDownLatch firstWrite = new CountDownLatch(1);
    final ByteArrayOutputStream written = new ByteArrayOutputStream();

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      written.write(b, off, len);
      firstWrite.countDown();
    }

    @Override
    public void flush() {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Test
  void a_client_that_stops_reading_never_blocks_events_and_is_closed_when_its_queue_fills()
      throws Exception {
    EventStream stream =
        new EventStream(
            WebConfig.builder()
                .sseClientBuffer(2)
                .sseReplay(3)
                .sseKeepAlive(Duration.ofMinutes(5))
                .build());
    StuckOutput out = new StuckOutput();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread server =
        new Thread(
            () -> {
              try {
                stream.serve(out, null, null, null);
              } catch (Throwable t) {
                failure.set(t);
              }
            },
            "stuck-stream");
    server.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> stream.clientCount() == 1);
    for (long id = 1; id <= 10; id++) {
      stream.onEvent(event(id)); // returns although the client is stuck in its first flush
    }
    out.release.countDown();
    server.join(Duration.ofSeconds(10).toMillis());
    assertThat(server.isAlive()).as("the overflowed stream ended").isFalse();
    assertThat(failure.get()).isNull();
    assertThat(stream.clientCount()).isZero();
    String text = out.written.toString(StandardCharsets.UTF_8);
    assertThat(text)
        .as("closed at once, not after writing what it fell behind on")
        .doesNotContain("event: job");
  }

  @Test
  void replay_keeps_only_the_newest_events_and_resumes_after_the_given_id() throws Exception {
    EventStream stream =
        new EventStream(
            WebConfig.builder().sseReplay(3).sseKeepAlive(Duration.ofMillis(10)).build());
    for (long id = 1; id <= 5; id++) {
      stream.onEvent(event(id));
    }
    String resumed = serveUntilClosed(stream, stream.streamId() + "-2", "\"jobId\":5,");
    assertThat(resumed)
        .doesNotContain("event: reset")
        .doesNotContain("\"jobId\":2,")
        .contains("id: " + stream.streamId() + "-3\n")
        .contains("\"jobId\":3,")
        .contains("\"jobId\":4,");
    assertThat(resumed.indexOf("\"jobId\":3,")).isLessThan(resumed.indexOf("\"jobId\":4,"));
    String behind = serveUntilClosed(stream, stream.streamId() + "-1", "event: reset");
    assertThat(behind).contains("too_far_behind").doesNotContain("\"jobId\":3,");
    stream.close();
    assertThatThrownBy(() -> stream.serve(new ByteArrayOutputStream(), null, null, null))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("stopping");
  }

  /** Serves one stream on a thread until {@code until} was written, then ends it. */
  private static String serveUntilClosed(EventStream stream, String lastEventId, String until)
      throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int before = stream.clientCount();
    Thread t =
        new Thread(
            () -> {
              try {
                stream.serve(out, null, lastEventId, null);
              } catch (InterruptedException e) {
                // ended by the test
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    t.start();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> out.toString(StandardCharsets.UTF_8).contains(until));
    t.interrupt();
    t.join(10_000);
    await().atMost(Duration.ofSeconds(10)).until(() -> stream.clientCount() == before);
    return out.toString(StandardCharsets.UTF_8);
  }
}
