package dev.errand;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers job events and handle callbacks on one daemon thread, {@code errand-events}, so user
 * code never runs on engine threads. The queue holds {@value #CAPACITY} items; beyond that events
 * are dropped and counted in {@code errand.events.dropped} (callbacks are never dropped: they
 * wait).
 *
 * <p>A job's events are delivered in the order of its transitions, ENQUEUED first: a first STARTED
 * published while an enqueue write of this engine that began before it has not yet published its
 * ENQUEUED events is held back until that job's ENQUEUED arrives or those writes end, and so is
 * anything after it for the same job.
 */
final class EventDispatcher {
  static final int CAPACITY = 65_536;
  private static final Logger log = LoggerFactory.getLogger(EventDispatcher.class);

  private final List<JobEventListener> listeners = new CopyOnWriteArrayList<>();
  private final List<JobEventListener> clusterListeners = new CopyOnWriteArrayList<>();
  private volatile ClusterEvents cluster;
  private final BlockingQueue<Runnable> queue = new ArrayBlockingQueue<>(CAPACITY);
  private final Meters meters;
  private final Thread thread;
  private volatile boolean running = true;

  // Enqueue writes of this engine whose ENQUEUED events are not published yet. A job such a write
  // created can be claimed and started before its enqueuer publishes ENQUEUED (a database
  // notification or a poll wakes the worker while the enqueuing thread is still on its way back),
  // so the events thread holds back a first STARTED while a write that began before it is open.
  private final AtomicLong writeSeq = new AtomicLong();
  private final ConcurrentSkipListSet<Long> openWrites = new ConcurrentSkipListSet<>();
  private volatile int heldCount; // written by the events thread only
  private final List<Held> held = new ArrayList<>(); // events thread only, in arrival order
  private long queuedRelease = -1; // events thread only: the upTo of a queued releaseUpTo

  /**
   * An event held back until {@code jobId}'s ENQUEUED or the end of writes up to {@code barrier}.
   */
  private record Held(long barrier, JobEvent event) {}

  EventDispatcher(Meters meters) {
    this.meters = meters;
    thread = new Thread(this::loop, "errand-events");
    thread.setDaemon(true);
    thread.start();
  }

  boolean hasListeners() {
    return !listeners.isEmpty() || !clusterListeners.isEmpty();
  }

  /** Adds a listener of this engine's events, and with {@code cluster} of other nodes' too. */
  AutoCloseable subscribe(JobEventListener l, boolean cluster) {
    if (!cluster) {
      listeners.add(l);
      return () -> listeners.remove(l);
    }
    synchronized (clusterListeners) {
      clusterListeners.add(l);
      ClusterEvents c = this.cluster;
      if (c != null) {
        c.listen(true);
      }
    }
    return () -> {
      synchronized (clusterListeners) {
        clusterListeners.remove(l);
        ClusterEvents c = this.cluster;
        if (c != null && clusterListeners.isEmpty()) {
          c.listen(false);
        }
      }
    };
  }

  /**
   * From now on this engine's events are also shared with the other nodes through {@code c}, which
   * listens to theirs while this engine has cluster listeners.
   */
  void forwardTo(ClusterEvents c) {
    synchronized (clusterListeners) {
      cluster = c;
      c.listen(!clusterListeners.isEmpty());
    }
  }

  /** Another node's event: for the cluster listeners only, after what is queued already. */
  void publishRemote(JobEvent e) {
    if (clusterListeners.isEmpty()) {
      return;
    }
    if (!queue.offer(() -> deliverTo(clusterListeners, e))) {
      meters.count("errand.events.dropped");
    }
  }

  void publish(JobEvent e) {
    ClusterEvents c = cluster;
    if (c != null) {
      c.offer(e);
    }
    if (!hasListeners()) {
      return;
    }
    // decided here, not on the events thread: only the writes open when the worker published
    long barrier =
        e.kind() == JobEvent.Kind.STARTED && e.attempt() == 1 && !openWrites.isEmpty()
            ? writeSeq.get()
            : -1;
    if (!queue.offer(() -> deliver(e, barrier))) {
      meters.count("errand.events.dropped");
    }
  }

  /** Runs a callback on the event thread; waits for room rather than dropping it. */
  void callback(Runnable r) {
    try {
      queue.put(r);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Marks the start of an enqueue write whose ENQUEUED events the caller publishes afterwards; pass
   * the result to {@link #endWrite} once they are published (or the write failed).
   */
  long beginWrite() {
    long s = writeSeq.incrementAndGet();
    openWrites.add(s);
    return s;
  }

  /** Ends {@link #beginWrite}; events held back for it are delivered after what it published. */
  void endWrite(long write) {
    openWrites.remove(write);
    if (heldCount > 0 && !queue.offer(this::releaseHeld)) {
      meters.count("errand.events.dropped");
    }
  }

  private void deliver(JobEvent e, long holdUntil) {
    if (e.kind() == JobEvent.Kind.ENQUEUED) {
      deliverNow(e);
      if (!held.isEmpty()) {
        release(h -> h.event().jobId() == e.jobId());
      }
      return;
    }
    long barrier = holdUntil;
    for (Held h : held) {
      if (h.event().jobId() == e.jobId()) {
        barrier = h.barrier(); // keep this job's events in order behind the held one
        break;
      }
    }
    if (barrier < 0) {
      deliverNow(e);
      return;
    }
    held.add(new Held(barrier, e));
    heldCount = held.size();
    releaseHeld(); // a write may have ended between the check above and heldCount
  }

  /**
   * Releases the held events whose writes have all ended, in two steps: the writes that ended by
   * now published their ENQUEUED events before ending, so those are in the queue already, possibly
   * behind this task; the release is therefore queued behind them, and runs after they were
   * delivered. (Releasing here at once let a STARTED overtake the ENQUEUED of its own write.)
   */
  private void releaseHeld() {
    if (held.isEmpty()) {
      return;
    }
    Long oldest = openWrites.isEmpty() ? null : openWrites.first();
    long upTo = oldest == null ? writeSeq.get() : oldest - 1;
    if (upTo <= queuedRelease || held.stream().noneMatch(h -> h.barrier() <= upTo)) {
      return;
    }
    queuedRelease = upTo;
    if (!queue.offer(() -> releaseUpTo(upTo))) {
      releaseUpTo(upTo); // the queue is full and events are being dropped: order is best effort
    }
  }

  /** Delivers the held events whose writes, all numbered up to {@code upTo}, have ended. */
  private void releaseUpTo(long upTo) {
    if (queuedRelease == upTo) {
      queuedRelease = -1;
    }
    release(h -> h.barrier() <= upTo);
  }

  private void release(java.util.function.Predicate<Held> due) {
    List<Held> now = new ArrayList<>();
    for (java.util.Iterator<Held> it = held.iterator(); it.hasNext(); ) {
      Held h = it.next();
      if (due.test(h)) {
        now.add(h);
        it.remove();
      }
    }
    heldCount = held.size();
    now.forEach(h -> deliverNow(h.event()));
  }

  private void deliverNow(JobEvent e) {
    deliverTo(listeners, e);
    deliverTo(clusterListeners, e);
  }

  private static void deliverTo(List<JobEventListener> to, JobEvent e) {
    for (JobEventListener l : to) {
      try {
        l.onEvent(e);
      } catch (Throwable t) {
        log.warn("errand: event listener {} failed on {}", l, e, t);
      }
    }
  }

  void stop() throws InterruptedException {
    running = false;
    thread.interrupt();
    thread.join(5_000);
  }

  private void loop() {
    while (running || !queue.isEmpty()) {
      try {
        Runnable r = running ? queue.take() : queue.poll();
        if (r == null) {
          break;
        }
        r.run();
      } catch (InterruptedException e) {
        // stop() interrupts; drain what is left, then end
      } catch (Throwable t) {
        log.warn("errand: callback failed", t);
      }
    }
    release(h -> true); // stopping: nothing will publish the ENQUEUED they wait for
  }
}
