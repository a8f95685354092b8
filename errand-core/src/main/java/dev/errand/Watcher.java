package dev.errand;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Completes the futures of watched jobs when they become final, whichever node ran them. One daemon
 * thread {@code errand-watcher}, started on first use, reads all watched jobs in one store call
 * each time this engine settles a job (nudge) or every watch interval; it does nothing while
 * nothing is watched.
 */
final class Watcher {
  private static final Logger log = LoggerFactory.getLogger(Watcher.class);

  private final Errand errand;
  private final Map<Long, CompletableFuture<Job>> watched = new ConcurrentHashMap<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition nudged = lock.newCondition();
  private boolean pending; // guarded by lock
  private volatile boolean running = true;
  private Thread thread; // guarded by lock

  Watcher(Errand errand) {
    this.errand = errand;
  }

  CompletableFuture<Job> watch(long id) {
    CompletableFuture<Job> f = watched.computeIfAbsent(id, k -> new CompletableFuture<>());
    lock.lock();
    try {
      if (thread == null && running) {
        thread = new Thread(this::loop, "errand-watcher");
        thread.setDaemon(true);
        thread.start();
      }
    } finally {
      lock.unlock();
    }
    nudge();
    return f;
  }

  boolean isWatched(long id) {
    return watched.containsKey(id);
  }

  void nudge() {
    lock.lock();
    try {
      pending = true;
      nudged.signalAll();
    } finally {
      lock.unlock();
    }
  }

  void stop() {
    running = false;
    nudge();
  }

  private void loop() {
    long interval = errand.settings().watchInterval().toNanos();
    while (running) {
      try {
        lock.lock();
        try {
          long left = interval;
          while (!pending && running && left > 0) {
            left = nudged.awaitNanos(left);
          }
          pending = false;
        } finally {
          lock.unlock();
        }
        if (watched.isEmpty()) {
          continue;
        }
        List<Long> ids = new ArrayList<>(watched.keySet());
        for (int from = 0; from < ids.size(); from += 1000) {
          List<Long> chunk = ids.subList(from, Math.min(ids.size(), from + 1000));
          List<Job> jobs = errand.store().findAll(chunk);
          java.util.Set<Long> seen = new java.util.HashSet<>();
          for (Job j : jobs) {
            seen.add(j.id());
            if (j.state().isFinal()) {
              complete(j.id(), f -> f.complete(j));
            }
          }
          for (Long id : chunk) {
            if (!seen.contains(id)) {
              complete(
                  id,
                  f ->
                      f.completeExceptionally(
                          new IllegalStateException(
                              "job " + id + " was deleted before it finished")));
            }
          }
        }
      } catch (InterruptedException e) {
        return;
      } catch (Throwable t) {
        errand.meters().storeError("watch");
        log.warn("errand: reading watched jobs failed; retrying", t);
      }
    }
  }

  private void complete(long id, java.util.function.Consumer<CompletableFuture<Job>> how) {
    CompletableFuture<Job> f = watched.remove(id);
    if (f != null) {
      how.accept(f);
    }
  }
}
