package dev.errand;

import dev.errand.spi.Completion;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes attempt outcomes in batches on one platform thread, {@code errand-completer}: it takes
 * whatever finished while the previous write ran (up to the batch size) and writes it with one
 * store call, so under load many jobs share one commit and at low load a job waits for no timer.
 * A failed write is retried (the batch is kept) until it succeeds or the engine stops; leases are
 * kept alive by the heartbeat meanwhile, so nothing is lost while the store is down.
 */
final class Completer {
  private static final Logger log = LoggerFactory.getLogger(Completer.class);

  /** An outcome to write; {@code completion} is null when the handler already wrote it. */
  record Pending(Execution execution, Completion completion, String outcome, long durationNanos) {}

  private static final Pending POISON = new Pending(null, null, null, 0);

  private final Errand errand;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread thread;

  Completer(Errand errand) {
    this.errand = errand;
    this.thread = new Thread(this::loop, "errand-completer");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  void submit(Pending p) {
    queue.add(p);
  }

  /** Writes everything submitted so far, then ends the thread. */
  void stop() throws InterruptedException {
    queue.add(POISON);
    thread.join(30_000);
  }

  private void loop() {
    int batchSize = errand.settings().completionBatch();
    List<Pending> batch = new ArrayList<>(batchSize);
    boolean stopping = false;
    while (!stopping) {
      try {
        batch.add(queue.take());
        queue.drainTo(batch, batchSize - 1);
        if (batch.remove(POISON)) {
          stopping = true;
          queue.drainTo(batch);
          batch.remove(POISON);
        }
        write(batch, stopping);
        batch.clear();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Throwable t) {
        log.error("errand: completer failed unexpectedly; continuing", t);
        batch.clear();
      }
    }
  }

  private void write(List<Pending> batch, boolean stopping) throws InterruptedException {
    List<Completion> writes = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      if (p.completion() != null) {
        writes.add(p.completion());
      }
    }
    Set<Long> rejected = Set.of();
    if (!writes.isEmpty()) {
      int failures = 0;
      while (true) {
        try {
          rejected = errand.store().complete(writes);
          break;
        } catch (RuntimeException e) {
          failures++;
          errand.meters().storeError("complete");
          if (failures == 1 || failures % 30 == 0) {
            log.warn("errand: writing {} job outcomes failed ({} in a row); retrying", writes.size(), failures, e);
          }
          if (stopping && failures >= 5) {
            log.error("errand: giving up on {} job outcomes at shutdown; their leases will expire"
                + " and the rescuer will run them again", writes.size());
            rejected = null;
            break;
          }
          Thread.sleep(Math.min(5_000, 100L << Math.min(failures, 6)));
        }
      }
    }
    for (Pending p : batch) {
      boolean accepted = rejected != null && (p.completion() == null || !rejected.contains(p.execution().job.id()));
      errand.settle(p, accepted);
    }
  }
}
