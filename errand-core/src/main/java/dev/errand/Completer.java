package dev.errand;

import dev.errand.spi.Completion;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes attempt outcomes in batches on one platform thread, {@code errand-completer}: it takes
 * whatever finished while the previous write ran (up to the batch size) and writes it with one
 * store call, so under load many jobs share one commit and at low load a job waits for no timer.
 * After a write of fewer outcomes than a batch, the next write starts no sooner than the completion
 * cooldown after it ({@link Errand.Builder#completionCooldown}), so that the outcomes that finish
 * meanwhile share it. A failed write is retried (the batch is kept) until it succeeds or the engine
 * stops; leases are kept alive by the heartbeat meanwhile, so nothing is lost while the store is
 * down.
 *
 * <p>A batch that keeps failing while the store takes this engine's other writes (claims,
 * heartbeats, other outcomes) is refused for what it holds, not cut off: its outcomes are then
 * written one by one, so that one the store cannot take holds back no other. An outcome refused
 * {@value #MAX_REFUSALS} times that way is given up: its job leaves the heartbeat, so its lease
 * expires and the rescuer runs it again (and quarantines it if that keeps happening). While the
 * store takes no write at all (down, read-only, full), nothing is split or given up.
 */
final class Completer {
  private static final Logger log = LoggerFactory.getLogger(Completer.class);

  /** An outcome to write; {@code completion} is null when the handler already wrote it. */
  record Pending(Execution execution, Completion completion, String outcome, long durationNanos) {}

  private static final Pending POISON = new Pending(null, null, null, 0);
  static final int MAX_REFUSALS = 3;

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

  /** Outcomes submitted and not yet taken into a write, for diagnostics. */
  int backlog() {
    return queue.size();
  }

  /** Writes everything submitted so far, then ends the thread. */
  void stop() throws InterruptedException {
    queue.add(POISON);
    thread.join(30_000);
  }

  private void loop() {
    int batchSize = errand.settings().completionBatch();
    long cooldown = errand.settings().completionCooldown().toNanos();
    List<Pending> batch = new ArrayList<>(batchSize);
    boolean stopping = false;
    long lastWrite = 0;
    boolean cool = false; // the last write took fewer outcomes than a batch
    while (!stopping) {
      try {
        Pending first = queue.take();
        batch.add(first);
        if (cool && first != POISON) {
          long left = lastWrite + cooldown - System.nanoTime();
          if (left > 0) {
            LockSupport.parkNanos(left); // at most the cooldown (≤ 1 s); stop() waits for it
          }
        }
        queue.drainTo(batch, batchSize - 1);
        if (batch.remove(POISON)) {
          stopping = true;
          queue.drainTo(batch);
          batch.remove(POISON);
        }
        cool = cooldown > 0 && batch.size() < batchSize;
        lastWrite = System.nanoTime();
        write(batch, stopping);
        batch.clear();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Throwable t) {
        log.error("errand: completer failed unexpectedly; continuing", t);
        // never leave a job held: its lease expires and the rescuer runs it again
        IllegalStateException cause = new IllegalStateException("completer failed: " + t, t);
        for (Pending p : batch) {
          if (p != POISON) {
            try {
              errand.unwritten(p, cause);
            } catch (Throwable again) {
              log.error(
                  "errand: could not release job {} after a completer failure",
                  p.execution().job.id(),
                  again);
            }
          }
        }
        batch.clear();
      }
    }
  }

  private void write(List<Pending> batch, boolean stopping) throws InterruptedException {
    // Parts still to write, last on top: the batch, or its outcomes one by one once it is refused.
    List<List<Pending>> parts = new ArrayList<>();
    parts.add(batch);
    Map<Pending, Integer> refusals = new IdentityHashMap<>();
    int failures = 0;
    long failingSince = 0;
    while (!parts.isEmpty()) {
      List<Pending> part = parts.get(parts.size() - 1);
      List<Completion> writes = new ArrayList<>(part.size());
      for (Pending p : part) {
        if (p.completion() != null) {
          writes.add(p.completion());
        }
      }
      Set<Long> rejected;
      try {
        rejected = writes.isEmpty() ? Set.of() : errand.store().complete(writes);
      } catch (RuntimeException e) {
        failures++;
        errand.meters().storeError("complete");
        if (failures == 1 || failures % 30 == 0) {
          log.warn(
              "errand: writing {} job outcomes failed ({} in a row); retrying",
              writes.size(),
              failures,
              e);
        }
        if (failures == 1) {
          failingSince = System.nanoTime();
        } else if (errand.storeWroteSince(failingSince)) {
          // Other writes went through since this part first failed: the store refuses this part.
          if (part.size() > 1) {
            log.warn(
                "errand: the store takes other writes but refuses a batch of {} job outcomes;"
                    + " writing them one by one",
                part.size());
            parts.remove(parts.size() - 1);
            part.forEach(p -> parts.add(List.of(p)));
            failures = 0;
            continue;
          }
          if (refusals.merge(part.get(0), 1, Integer::sum) >= MAX_REFUSALS) {
            parts.remove(parts.size() - 1);
            errand.unwritten(part.get(0), e);
            failures = 0;
            continue;
          }
        }
        if (stopping && failures >= 5) {
          int left = 0;
          for (List<Pending> rest : parts) {
            left += rest.size();
            rest.forEach(p -> errand.settle(p, false));
          }
          log.error(
              "errand: giving up on {} job outcomes at shutdown; their leases will expire"
                  + " and the rescuer will run them again",
              left);
          return;
        }
        Thread.sleep(Math.min(5_000, 100L << Math.min(failures, 6)));
        continue;
      }
      if (!writes.isEmpty()) {
        errand.storeWrote();
      }
      parts.remove(parts.size() - 1);
      failures = 0;
      for (Pending p : part) {
        boolean accepted = p.completion() == null || !rejected.contains(p.execution().job.id());
        errand.settle(p, accepted);
      }
    }
  }
}
