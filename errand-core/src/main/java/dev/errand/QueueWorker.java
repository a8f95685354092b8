package dev.errand;

import dev.errand.spi.ClaimedJob;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fetch loop of one queue on one node, on its own platform thread {@code errand-fetch-QUEUE}.
 * It claims up to the free slots in one store call, hands each job to the handler executor, and
 * sleeps until woken (an enqueue in this JVM, a store notification, a freed slot when the last
 * claim was full, a due retry) or until the poll interval passes.
 */
final class QueueWorker {
  private static final Logger log = LoggerFactory.getLogger(QueueWorker.class);

  final String queue;
  final int concurrency;
  private final Errand errand;
  private final AtomicInteger busy = new AtomicInteger();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private boolean signalled; // guarded by lock
  private volatile boolean maybeMore;
  private volatile boolean running = true;
  private Thread thread;

  QueueWorker(Errand errand, String queue, int concurrency) {
    this.errand = errand;
    this.queue = queue;
    this.concurrency = concurrency;
  }

  void start() {
    thread = new Thread(this::loop, "errand-fetch-" + queue);
    thread.setDaemon(true);
    thread.start();
  }

  /** Makes the loop look for work now. Any thread. */
  void wake() {
    lock.lock();
    try {
      signalled = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** A handler finished; fetch again if the last claim suggested more work is waiting. */
  void slotFreed() {
    busy.decrementAndGet();
    if (maybeMore || !running) {
      wake();
    }
  }

  int busy() {
    return busy.get();
  }

  /** Stops claiming and waits for the loop thread to end. */
  void stopClaiming() throws InterruptedException {
    running = false;
    wake();
    if (thread != null) {
      thread.join(10_000);
    }
  }

  /** Waits until no handler of this queue runs, or the deadline passes. */
  boolean awaitIdle(long deadlineNanos) throws InterruptedException {
    lock.lock();
    try {
      while (busy.get() > 0) {
        long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        changed.awaitNanos(left);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  private void loop() {
    Duration poll = errand.settings().pollInterval();
    int failures = 0;
    while (running) {
      try {
        int free = concurrency - busy.get();
        if (free > 0) {
          int want = Math.min(free, errand.settings().claimBatch());
          List<ClaimedJob> claimed =
              errand.store().claim(queue, want, errand.nodeId(), errand.settings().lease());
          failures = 0;
          for (ClaimedJob c : claimed) {
            busy.incrementAndGet();
            errand.launch(this, c);
          }
          maybeMore = claimed.size() == want;
          if (maybeMore && running) {
            continue;
          }
        }
        awaitSignal(poll.toNanos());
      } catch (Throwable t) {
        failures++;
        errand.meters().storeError("claim");
        if (failures == 1 || failures % 30 == 0) {
          log.warn("errand: claiming from queue '{}' failed ({} in a row); retrying every {}",
              queue, failures, poll, t);
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

  private void awaitSignal(long nanos) throws InterruptedException {
    lock.lock();
    try {
      long left = nanos;
      while (!signalled && running && left > 0) {
        left = changed.awaitNanos(left);
      }
      signalled = false;
    } finally {
      lock.unlock();
    }
  }

}
