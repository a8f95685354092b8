package dev.errand;

import dev.errand.spi.EnqueueResult;
import dev.errand.spi.JobStore;
import dev.errand.spi.NewJob;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit for enqueues from many threads. A caller that finds no write in progress writes at
 * once (no added latency); callers that arrive while a write is in progress queue up, and the next
 * writer stores all of them with one store call — one transaction, one fsync — then hands each
 * caller its own results. Every caller still returns only after its jobs are committed.
 *
 * <p>If a combined write fails, each request is written again on its own, so a failure is reported
 * to the caller whose jobs caused it and to no one else. Requests of {@link #ALONE} jobs or more are
 * written alone.
 */
final class EnqueueCombiner {
  /** Requests at least this big skip combining. */
  static final int ALONE = 1_000;
  /** Most jobs one combined write carries. */
  static final int MAX_JOBS = 5_000;

  private final JobStore store;
  private final ReentrantLock writer = new ReentrantLock();
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
    this.store = store;
  }

  List<EnqueueResult> enqueue(List<NewJob> jobs) {
    if (jobs.size() >= ALONE) {
      return store.enqueue(jobs);
    }
    Request me = new Request(jobs);
    pending.add(me);
    while (!me.done) {
      if (writer.tryLock()) {
        try {
          // serve what is queued now, this caller's request included; bounded so no caller
          // is kept writing for others forever
          for (int round = 0; round < 4 && (!me.done || !pending.isEmpty()); round++) {
            writeQueued();
          }
        } finally {
          writer.unlock();
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
