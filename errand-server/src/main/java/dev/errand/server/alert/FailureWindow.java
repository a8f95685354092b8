package dev.errand.server.alert;

import java.time.Duration;
import java.time.Instant;

/**
 * Attempt outcomes of one job type over a sliding window, kept in {@value #BUCKETS} time buckets so
 * memory stays constant however many jobs run: the window is exact to one bucket (1/60 of it).
 * Guarded by its own monitor; callers hold it only for these short methods.
 */
final class FailureWindow {
  static final int BUCKETS = 60;

  private final long bucketMillis;
  private final long[] index = new long[BUCKETS];
  private final long[] failed = new long[BUCKETS];
  private final long[] succeeded = new long[BUCKETS];

  FailureWindow(Duration window) {
    this.bucketMillis = Math.max(1, window.toMillis() / BUCKETS);
    java.util.Arrays.fill(index, Long.MIN_VALUE);
  }

  synchronized void record(Instant at, boolean failure) {
    long i = Math.floorDiv(at.toEpochMilli(), bucketMillis);
    int slot = (int) Math.floorMod(i, (long) BUCKETS);
    if (index[slot] != i) {
      index[slot] = i;
      failed[slot] = 0;
      succeeded[slot] = 0;
    }
    if (failure) {
      failed[slot]++;
    } else {
      succeeded[slot]++;
    }
  }

  /** Failed and total attempts in the window ending at {@code now}: {@code {failed, total}}. */
  synchronized long[] totals(Instant now) {
    long current = Math.floorDiv(now.toEpochMilli(), bucketMillis);
    long f = 0;
    long s = 0;
    for (int slot = 0; slot < BUCKETS; slot++) {
      if (index[slot] <= current && index[slot] > current - BUCKETS) {
        f += failed[slot];
        s += succeeded[slot];
      }
    }
    return new long[] {f, f + s};
  }
}
