package dev.errand;

import dev.errand.spi.ClaimedJob;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fetch loop of one queue on one node, on its own platform thread {@code errand-fetch-QUEUE},
 * and the queue's local buffer of claimed jobs.
 *
 * <p>At most {@code concurrency} handlers run at once ({@link #busy}). The loop claims in one store
 * call as many jobs as it has free slots, plus a prefetch: as many more as the handlers are
 * expected to start within {@link #PREFETCH_HORIZON} at their recent pace (an exponentially
 * weighted average of handler durations). Fast jobs are therefore claimed in large batches — the
 * claim statement, not the handler, is what limits a queue of short jobs — while slow jobs are
 * never claimed ahead, so no job waits in a node's buffer while another node is idle. A handler
 * thread that finishes takes the next buffered job itself, without a thread hand-off.
 *
 * <p>The loop sleeps until woken: an enqueue in this JVM, a store notification, a due retry, or a
 * handler that drained the buffer while the last claim was full; else until the poll interval.
 * After a claim that returned fewer jobs than it asked for, the next claim starts no sooner than
 * the claim cooldown after it ({@link Errand.Builder#claimCooldown}), so that the jobs woken
 * meanwhile share one claim; after a full claim the loop claims again at once. A store notification
 * that finds the loop asleep, with a free slot and past the cooldown, is claimed on the store's
 * notification thread instead ({@link #wakeAndClaim}); one claim runs at a time, whichever thread
 * runs it.
 *
 * <p>A slot is freed when its handler returns, before the completer has written the outcome. The
 * jobs the queue holds in the store (claimed, outcome not written: running, buffered, or waiting
 * for the completer) are therefore bounded on their own, by {@code concurrency + claimBatch +
 * completionBatch}: when outcomes cannot be written for a while the loop stops claiming instead of
 * running the backlog with nothing recorded, and a crash of the node runs at most that many again.
 *
 * <p>A job's last run before quarantine is isolated: a job whose lease already expired {@code
 * quarantineAfterRescues - 1} times (its node died while holding it) runs alone on its queue. The
 * claim that returns it hands the jobs it returned after it back to the store; the queue claims
 * nothing more, waits until it holds nothing else (no running handler, no buffered job, no outcome
 * waiting to be written), runs it, and resumes when it ends. So a job that kills its node is
 * quarantined after dying alone, and a job that was only held next to it (running, claimed ahead or
 * with its outcome unwritten) never reaches the quarantine limit on its account.
 */
final class QueueWorker {
  /** How far ahead, in expected handler time, a node claims jobs it cannot start yet. */
  static final Duration PREFETCH_HORIZON = Duration.ofMillis(50);

  private static final Logger log = LoggerFactory.getLogger(QueueWorker.class);
  private static final long HORIZON_NANOS = PREFETCH_HORIZON.toNanos();

  /** How long {@link #stopClaiming} waits for a claim in flight (a store call that hangs). */
  private static final long STOP_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

  final String queue;
  final int concurrency;
  private final Errand errand;
  private final ReentrantLock lock = new ReentrantLock();

  /** The fetch loop sleeps on this one, and only it: a signal here always wakes the loop. */
  private final Condition loopWake = lock.newCondition();

  /** {@link #awaitIdle} waits on this one, for {@link #busy} to reach 0 or for shutdown. */
  private final Condition idle = lock.newCondition();

  // guarded by lock:
  private final ArrayDeque<Execution> buffer = new ArrayDeque<>();
  private int busy;
  private boolean signalled;

  /**
   * True while the loop waits out a claim cooldown. It claims when the cooldown ends whatever it is
   * told meanwhile, so wake-ups then are recorded ({@link #signalled}) without waking its thread:
   * in the 4-producer mix every enqueue used to wake the loop only for it to sleep again.
   */
  private boolean cooling;

  private boolean maybeMore;
  private boolean running = true;

  /** True while the loop waits for a signal (after a claim that was not full, or at start). */
  private boolean parked;

  /** True while a claim is in flight, the loop's or one run by {@link #wakeAndClaim}. */
  private boolean claiming;

  /** When the last claim started ({@link System#nanoTime}). */
  private long lastClaim;

  /** The last claim returned fewer jobs than it asked for: the next waits out the cooldown. */
  private boolean cool;

  /**
   * Signalled when a claim ends: the loop, and {@link #stopClaiming}, wait for claims in flight.
   */
  private final Condition claimEnded = lock.newCondition();

  /** Claimed jobs whose outcome is not written yet; the loop adds, {@link #settled} removes. */
  private final AtomicInteger held = new AtomicInteger();

  private final int maxHeld;

  private final long cooldownNanos;

  /** True while claiming waits for outcomes to be written; {@link #settled} then wakes the loop. */
  private volatile boolean capped;

  /** Rescues after which a job's next run is isolated. */
  private final int isolateAfter;

  // guarded by lock: the job due for its isolated run, waiting for the queue to empty, or running
  private Execution isolated;
  private boolean isolatedRunning;
  // written by handler threads, read by the fetch loop; a lost update only skews the average
  private volatile double averageNanos;
  private Thread thread;

  QueueWorker(Errand errand, String queue, int concurrency) {
    this.errand = errand;
    this.queue = queue;
    this.concurrency = concurrency;
    this.maxHeld =
        concurrency + errand.settings().claimBatch() + errand.settings().completionBatch();
    this.isolateAfter = Math.max(1, errand.settings().quarantineAfter() - 1);
    this.cooldownNanos = errand.settings().claimCooldown().toNanos();
  }

  void start() {
    thread = new Thread(this::loop, "errand-fetch-" + queue);
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Makes the loop look for work now, or, if every slot is busy, as soon as one frees. Any thread.
   */
  void wake() {
    lock.lock();
    try {
      signalled = true;
      maybeMore = true;
      signalLoop();
    } finally {
      lock.unlock();
    }
  }

  /**
   * {@link #wake} for a thread that may itself claim: a store's notification thread, told that
   * another process enqueued. When the loop is parked with a free slot and no cooldown to wait out,
   * this thread runs the claim and starts what it returns, and the loop stays asleep: at low load
   * that takes one thread hand-off (about 0.1 ms on an idle core) off every job's start. In any
   * other state it only wakes the loop. A failed claim is left to the loop, which retries it.
   */
  void wakeAndClaim() {
    int want;
    lock.lock();
    try {
      if (!running
          || !parked
          || claiming
          || (cool && System.nanoTime() - lastClaim < cooldownNanos)
          || (want = wanted()) <= 0) {
        signalled = true;
        maybeMore = true;
        signalLoop();
        return;
      }
      signalled = false; // the claim sees every job whose wake-up came before it
      claiming = true;
      lastClaim = System.nanoTime();
    } finally {
      lock.unlock();
    }
    List<ClaimedJob> claimed = null;
    try {
      claimed = errand.store().claim(queue, want, errand.nodeId(), errand.settings().lease());
      errand.storeWrote();
      dispatch(claimed, claimed.size() == want);
    } catch (RuntimeException e) {
      errand.meters().storeError("claim");
      log.debug("errand: claiming from queue '{}' on a notification failed", queue, e);
    } finally {
      endClaim(claimed, want);
    }
    if (claimed == null || claimed.size() == want) {
      wake(); // failed (the loop claims again, and logs if that fails too), or full: maybe more
    }
  }

  /** Lets the next claim start, after the cooldown if this one came back short or failed. */
  private void endClaim(List<ClaimedJob> claimed, int want) {
    lock.lock();
    try {
      claiming = false;
      cool = cooldownNanos > 0 && claimed != null && claimed.size() < want;
      claimEnded.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Called by a handler thread after an attempt of {@code finished}: records its duration and
   * returns the next buffered job for the same thread to run, or null when the buffer is empty (the
   * slot is then free).
   */
  Execution next(Execution finished, long durationNanos) {
    double avg = averageNanos;
    averageNanos = avg == 0 ? durationNanos : avg * 0.9 + durationNanos * 0.1;
    Execution e;
    lock.lock();
    try {
      if (finished == isolated) {
        isolated = null;
        isolatedRunning = false;
        signalled = true; // the isolated run is over: claim again
        signalLoop();
      }
      e = running ? buffer.poll() : null;
      if (e == null) {
        busy--;
      }
      if (maybeMore && buffer.size() <= prefetch() / 2) {
        signalled = true; // the last claim was full: fetch more
        signalLoop();
      }
      if (busy == 0) {
        idle.signalAll(); // for awaitIdle only
      }
    } finally {
      lock.unlock();
    }
    if (e == null) {
      startIsolatedIfAlone();
    }
    return e;
  }

  /** A held job's outcome was written, rejected or given up (or its lease was lost). Any thread. */
  void settled() {
    held.decrementAndGet();
    if (capped) {
      wake();
    }
    startIsolatedIfAlone();
  }

  /** Starts the job due for its isolated run once it is the only job this queue holds. */
  private void startIsolatedIfAlone() {
    Execution start = null;
    lock.lock();
    try {
      if (isolated != null
          && !isolatedRunning
          && running
          && busy == 0
          && buffer.isEmpty()
          && held.get() == 1) {
        isolatedRunning = true;
        busy++;
        start = isolated;
      }
    } finally {
      lock.unlock();
    }
    if (start != null) {
      errand.execute(start);
    }
  }

  /** Stops claiming, waits for the loop thread, and returns the buffered jobs not yet started. */
  List<Execution> stopClaiming() throws InterruptedException {
    lock.lock();
    try {
      running = false;
      loopWake.signal();
      claimEnded.signalAll();
      idle.signalAll();
    } finally {
      lock.unlock();
    }
    long deadline = System.nanoTime() + STOP_WAIT_NANOS;
    if (thread != null) {
      thread.join(STOP_WAIT_NANOS / 1_000_000);
    }
    lock.lock();
    try {
      // a claim on a notification thread: its jobs are started or buffered once it ends
      for (long left = deadline - System.nanoTime(); claiming && left > 0; ) {
        left = claimEnded.awaitNanos(left);
      }
      List<Execution> left = new ArrayList<>(buffer);
      buffer.clear();
      if (isolated != null && !isolatedRunning) {
        left.add(isolated);
        isolated = null;
      }
      return left;
    } finally {
      lock.unlock();
    }
  }

  /** Waits until no handler of this queue runs, or the deadline passes. */
  boolean awaitIdle(long deadlineNanos) throws InterruptedException {
    lock.lock();
    try {
      while (busy > 0) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        idle.awaitNanos(left);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** The loop's state, for diagnostics: slots, buffer, held jobs and flags. */
  @Override
  public String toString() {
    lock.lock();
    try {
      return queue
          + "{concurrency="
          + concurrency
          + ", busy="
          + busy
          + ", buffered="
          + buffer.size()
          + ", held="
          + held.get()
          + "/"
          + maxHeld
          + ", prefetch="
          + prefetch()
          + ", isolated="
          + (isolated == null ? "none" : isolated.job.id() + (isolatedRunning ? " running" : ""))
          + ", signalled="
          + signalled
          + ", maybeMore="
          + maybeMore
          + ", capped="
          + capped
          + ", running="
          + running
          + ", loop="
          + (thread == null ? "not started" : thread.getState())
          + "}";
    } finally {
      lock.unlock();
    }
  }

  /** Jobs this node may hold beyond its running ones, at the current pace. */
  private int prefetch() {
    double avg = averageNanos;
    if (avg <= 0) {
      return 0;
    }
    double ahead = concurrency * (HORIZON_NANOS / Math.max(avg, 1_000));
    return (int) Math.min(ahead, errand.settings().claimBatch());
  }

  /** How many to claim now, or 0 to wait. Holds the lock. */
  private int wanted() {
    if (isolated != null) {
      return 0;
    }
    int allowance = prefetch();
    int want = concurrency + allowance - busy - buffer.size();
    if (want <= 0 || (!buffer.isEmpty() && buffer.size() > allowance / 2)) {
      return 0;
    }
    capped = true; // before reading held, so that a settle in between still wakes the loop
    int room = maxHeld - held.get();
    capped = room < want;
    return Math.max(0, Math.min(Math.min(want, room), errand.settings().claimBatch()));
  }

  private void loop() {
    Duration poll = errand.settings().pollInterval();
    int failures = 0;
    while (true) {
      try {
        int want;
        lock.lock();
        try {
          while (true) {
            if (cool) {
              awaitCooldown(lastClaim + cooldownNanos);
            }
            if (!claiming || !running) {
              break;
            }
            claimEnded.await(); // a notification thread is claiming; its cooldown applies next
          }
          if (!running) {
            return;
          }
          want = wanted();
          if (want > 0) {
            signalled = false; // the claim sees every job whose wake-up came before it
            claiming = true;
            lastClaim = System.nanoTime();
          }
        } finally {
          lock.unlock();
        }
        if (want > 0) {
          List<ClaimedJob> claimed = null;
          try {
            claimed = errand.store().claim(queue, want, errand.nodeId(), errand.settings().lease());
            errand.storeWrote();
            failures = 0;
            dispatch(claimed, claimed.size() == want);
          } finally {
            endClaim(claimed, want);
          }
          if (claimed.size() == want) {
            continue;
          }
        }
        awaitSignal(poll.toNanos());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Throwable t) {
        failures++;
        errand.meters().storeError("claim");
        if (failures == 1 || failures % 30 == 0) {
          log.warn(
              "errand: claiming from queue '{}' failed ({} in a row); retrying every {}",
              queue,
              failures,
              poll,
              t);
        }
        try {
          awaitSignal(poll.toNanos());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /**
   * Starts what fits in free slots and buffers the rest; every claimed job is held by the engine. A
   * job due for its isolated run is kept aside, and the jobs claimed after it are handed back.
   */
  private void dispatch(List<ClaimedJob> claimed, boolean full) {
    List<Execution> start = new ArrayList<>();
    List<Execution> handBack = new ArrayList<>();
    held.addAndGet(claimed.size());
    lock.lock();
    try {
      maybeMore = full;
      for (ClaimedJob c : claimed) {
        Execution e = errand.hold(this, c);
        if (isolated != null) {
          handBack.add(e);
        } else if (c.job().rescues() >= isolateAfter) {
          isolated = e;
        } else if (busy < concurrency) {
          busy++;
          start.add(e);
        } else {
          buffer.add(e);
        }
      }
    } finally {
      lock.unlock();
    }
    for (Execution e : handBack) {
      errand.release(e);
    }
    for (Execution e : start) {
      errand.execute(e);
    }
    startIsolatedIfAlone();
  }

  /** Wakes the loop unless it is cooling down, after which it claims anyway. Holds the lock. */
  private void signalLoop() {
    if (!cooling) {
      loopWake.signal();
    }
  }

  /** Waits, holding the lock, until {@code deadline} ({@link System#nanoTime}) or shutdown. */
  private void awaitCooldown(long deadline) throws InterruptedException {
    long left = deadline - System.nanoTime();
    cooling = true;
    try {
      while (running && left > 0) {
        loopWake.awaitNanos(left);
        left = deadline - System.nanoTime();
      }
    } finally {
      cooling = false;
    }
  }

  private void awaitSignal(long nanos) throws InterruptedException {
    lock.lock();
    try {
      long left = nanos;
      parked = true;
      try {
        while (!signalled && running && left > 0) {
          left = loopWake.awaitNanos(left);
        }
      } finally {
        parked = false;
      }
      signalled = false;
    } finally {
      lock.unlock();
    }
  }
}
