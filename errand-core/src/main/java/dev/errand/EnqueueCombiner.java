package dev.errand;

import dev.errand.spi.EnqueueResult;
import dev.errand.spi.JobStore;
import dev.errand.spi.NewJob;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Group commit for enqueues from many threads. A caller that finds a free writer slot writes at
 * once (no added latency); callers that arrive while every slot is writing queue up, and the next
 * writer stores all of them with one store call — one transaction, one fsync — then hands each
 * caller its own results. Every caller still returns only after its jobs are committed.
 *
 * <p>The number of slots is the store's {@link JobStore#concurrentEnqueueWrites()}. With one slot a
 * caller that arrives during a write waits for the rest of it and then for its own, about 1.5
 * commits; a second slot lets it start at once, and a database that merges the flushes of
 * concurrent commits (PostgreSQL does) pays for both with about one.
 *
 * <p>If a combined write fails, each request is written again on its own, so a failure is reported
 * to the caller whose jobs caused it and to no one else. Requests of {@link #ALONE} jobs or more
 * are written alone.
 */
final class EnqueueCombiner {
  /** Requests at least this big skip combining. */
  static final int ALONE = 1_000;

  /** Most jobs one combined write carries. */
  static final int MAX_JOBS = 5_000;

  private final JobStore store;
  private final Semaphore writers;
  private final ConcurrentLinkedQueue<Request> pending = new ConcurrentLinkedQueue<>();

  private static final class Request {
    final List<NewJob> jobs;
    final Thread caller = Thread.currentThread();
    volatile List<EnqueueResult> results;
    volatile RuntimeException error;
    volatile boolean done;

    Request(List<NewJob> jobs) {
      this.jobs = jobs;
    }
  }

  EnqueueCombiner(JobStore store) {
    this(store, store.concurrentEnqueueWrites());
  }

  EnqueueCombiner(JobStore store, int writers) {
    if (writers < 1) {
      throw new IllegalArgumentException(
          "concurrent enqueue writes must be at least 1, was " + writers);
    }
    this.store = store;
    this.writers = new Semaphore(writers);
  }

  List<EnqueueResult> enqueue(List<NewJob> jobs) {
    if (jobs.size() >= ALONE) {
      return store.enqueue(jobs);
    }
    Request me = new Request(jobs);
    pending.add(me);
    while (!me.done) {
      if (writers.tryAcquire()) {
        try {
          // serve what is queued now, this caller's request included; bounded so no caller
          // is kept writing for others forever
          for (int round = 0; round < 4 && (!me.done || !pending.isEmpty()); round++) {
            writeQueued();
          }
        } finally {
          writers.release();
        }
        Request next = pending.peek();
        if (next != null) {
          LockSupport.unpark(next.caller);
        }
      } else {
        LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(1));
      }
    }
    if (me.error != null) {
      throw me.error;
    }
    return me.results;
  }

  /** Requests waiting for a writer (for tests). */
  int queued() {
    return pending.size();
  }

  private void writeQueued() {
    List<Request> batch = new ArrayList<>();
    List<NewJob> all = new ArrayList<>();
    Request r;
    while (all.size() < MAX_JOBS && (r = pending.poll()) != null) {
      batch.add(r);
      all.addAll(r.jobs);
    }
    if (batch.isEmpty()) {
      return;
    }
    try {
      List<EnqueueResult> results = store.enqueue(all);
      int from = 0;
      for (Request b : batch) {
        b.results = List.copyOf(results.subList(from, from + b.jobs.size()));
        from += b.jobs.size();
      }
    } catch (RuntimeException combined) {
      if (batch.size() == 1) {
        batch.get(0).error = combined;
      } else {
        for (Request b : batch) {
          try {
            b.results = store.enqueue(b.jobs);
          } catch (RuntimeException own) {
            b.error = own;
          }
        }
      }
    }
    for (Request b : batch) {
      b.done = true;
      LockSupport.unpark(b.caller);
    }
  }
}
