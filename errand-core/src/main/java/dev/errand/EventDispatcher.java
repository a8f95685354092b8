package dev.errand;

import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers job events and handle callbacks on one daemon thread, {@code errand-events}, so user
 * code never runs on engine threads. The queue holds {@value #CAPACITY} items; beyond that events
 * are dropped and counted in {@code errand.events.dropped} (callbacks are never dropped: they wait).
 */
final class EventDispatcher {
  static final int CAPACITY = 65_536;
  private static final Logger log = LoggerFactory.getLogger(EventDispatcher.class);

  private final List<JobEventListener> listeners = new CopyOnWriteArrayList<>();
  private final BlockingQueue<Runnable> queue = new ArrayBlockingQueue<>(CAPACITY);
  private final Meters meters;
  private final Thread thread;
  private volatile boolean running = true;

  EventDispatcher(Meters meters) {
    this.meters = meters;
    thread = new Thread(this::loop, "errand-events");
    thread.setDaemon(true);
    thread.start();
  }

  boolean hasListeners() {
    return !listeners.isEmpty();
  }

  AutoCloseable subscribe(JobEventListener l) {
    listeners.add(l);
    return () -> listeners.remove(l);
  }

  void publish(JobEvent e) {
    if (listeners.isEmpty()) {
      return;
    }
    if (!queue.offer(() -> deliver(e))) {
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

  private void deliver(JobEvent e) {
    for (JobEventListener l : listeners) {
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
          return;
        }
        r.run();
      } catch (InterruptedException e) {
        // stop() interrupts; drain what is left, then end
      } catch (Throwable t) {
        log.warn("errand: callback failed", t);
      }
    }
  }
}
