package dev.errand.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * How fast this machine is right now at what a paced job does at every step: a thread that has
 * waited 40 ms is woken ({@link LockSupport#unpark}) and the time until it runs is taken. On the
 * shared 2-core VMs the benchmark runs on this moved from 52 to 175 µs at p50 within an hour, with
 * the latency and mix results moving alike (docs/benchmarks.md, thirteenth session), so the report
 * gives it before and after every workload, next to the load average.
 */
final class WakeProbe {
  /** The idle gap before each wake-up: the latency workload's gap between jobs at 25 jobs/s. */
  static final long GAP_MILLIS = 40;

  private WakeProbe() {}

  private static final class Shared {
    volatile long sentAt;
    volatile int published;
  }

  /**
   * The delays of {@code samples} wake-ups, in nanoseconds, sorted. The waking thread goes back to
   * sleep right after each {@code unpark}, as an enqueuing thread goes back to its caller, so both
   * cores may be idle when the woken one is scheduled.
   */
  static long[] measure(int samples) throws InterruptedException {
    if (samples < 1) {
      throw new IllegalArgumentException("samples must be at least 1, got " + samples);
    }
    long[] delays = new long[samples];
    Shared shared = new Shared();
    Thread sleeper =
        new Thread(
            () -> {
              int seen = 0;
              while (seen < samples) {
                if (shared.published > seen) {
                  delays[seen++] = System.nanoTime() - shared.sentAt;
                } else {
                  LockSupport.park(shared);
                }
              }
            },
            "errand-bench-wake-probe");
    sleeper.setDaemon(true);
    sleeper.start();
    for (int i = 0; i < samples; i++) {
      Thread.sleep(GAP_MILLIS); // far longer than a wake-up: the sleeper has recorded sample i - 1
      shared.sentAt = System.nanoTime();
      shared.published = i + 1;
      LockSupport.unpark(sleeper);
    }
    sleeper.join(10_000);
    if (sleeper.isAlive()) {
      throw new IllegalStateException("the probe thread did not take its last wake-up in 10 s");
    }
    Arrays.sort(delays);
    return delays;
  }

  /** {@code p50 X µs, p90 Y µs (N wake-ups after 40 ms idle)}, or why it could not be taken. */
  static String describe(int samples) {
    try {
      double[] micros = Arrays.stream(measure(samples)).mapToDouble(n -> n / 1e3).toArray();
      return String.format(
          Locale.ROOT,
          "p50 %.0f µs, p90 %.0f µs (%d wake-ups after %d ms idle)",
          Report.percentile(micros, 50),
          Report.percentile(micros, 90),
          micros.length,
          GAP_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "not measured (interrupted)";
    } catch (IllegalStateException e) {
      return "not measured (" + e.getMessage() + ")"; // a note, never the end of the run
    }
  }
}
