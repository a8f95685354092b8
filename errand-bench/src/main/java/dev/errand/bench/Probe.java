package dev.errand.bench;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Where the no-op handler of every system reports that it started. One probe per measured run,
 * installed in a static slot because JobRunr runs jobs as static method calls it rebuilds from
 * storage, so a handler cannot capture an object. Thread-safe.
 *
 * <p>A probe with a capacity also records, per sequence number below that capacity, the wall clock
 * time in microseconds at which the handler started, and counts repeated deliveries of the same
 * sequence number instead of counting them twice.
 */
final class Probe {
  private static volatile Probe current = new Probe(0);

  private final AtomicLong count = new AtomicLong();
  private final AtomicLong repeats = new AtomicLong();
  private final AtomicLongArray startedMicros;

  private Probe(int capacity) {
    this.startedMicros = new AtomicLongArray(capacity);
  }

  /**
   * Installs and returns a fresh probe that records start times of sequence numbers below {@code
   * capacity}.
   */
  static Probe install(int capacity) {
    Probe p = new Probe(capacity);
    current = p;
    return p;
  }

  static Probe current() {
    return current;
  }

  /** The handler of job {@code seq} started now. Called first thing in every handler. */
  void started(long seq) {
    long now = wallMicros();
    if (seq >= 0 && seq < startedMicros.length()) {
      if (!startedMicros.compareAndSet((int) seq, 0L, now)) {
        repeats.incrementAndGet();
        return;
      }
    }
    count.incrementAndGet();
  }

  /** Distinct jobs started so far (every start when the probe has no capacity). */
  long count() {
    return count.get();
  }

  /** Starts of a sequence number that had already started (at-least-once deliveries). */
  long repeats() {
    return repeats.get();
  }

  /** When job {@code seq} started, in wall-clock microseconds, or 0 if it has not. */
  long startedMicros(int seq) {
    return startedMicros.get(seq);
  }

  int capacity() {
    return startedMicros.length();
  }

  /**
   * Waits until at least {@code n} jobs started or {@code deadlineNanos} (System.nanoTime) passes,
   * looking every 0.5 ms. Returns whether {@code n} was reached.
   */
  boolean awaitCount(long n, long deadlineNanos) {
    return awaitCount(n, deadlineNanos, Long.MAX_VALUE);
  }

  /**
   * Like {@link #awaitCount(long, long)} but also gives up once no job has started for {@code
   * stallNanos}: a system that stopped making progress fails its run early.
   */
  boolean awaitCount(long n, long deadlineNanos, long stallNanos) {
    long seen = count.get();
    long lastProgress = System.nanoTime();
    while (seen < n) {
      long now = System.nanoTime();
      if (now - deadlineNanos >= 0 || now - lastProgress >= stallNanos) {
        return false;
      }
      LockSupport.parkNanos(500_000);
      long c = count.get();
      if (c != seen) {
        seen = c;
        lastProgress = System.nanoTime();
      }
    }
    return true;
  }

  /** Wall-clock time in microseconds since the epoch (both JVMs of a run read the same clock). */
  static long wallMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }
}
