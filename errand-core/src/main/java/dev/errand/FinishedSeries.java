package dev.errand;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Jobs that finished (SUCCEEDED or FAILED) per step, counted by the store over every such job it
 * still holds: {@code points.get(i)} covers {@code [first + i * step, first + (i + 1) * step)},
 * except the last, which covers {@code [first + (count - 1) * step, end]}. Cancelled jobs are not
 * finished work and are left out, as in {@link FinishedStats}.
 *
 * @param first start of the first step, inclusive (store clock)
 * @param step the length of every step but the last
 * @param end end of the last step, inclusive (store clock)
 * @param points one per step, oldest first; steps without finished jobs count zero
 */
public record FinishedSeries(Instant first, Duration step, Instant end, List<Point> points) {
  /** Most steps one series may have. */
  public static final int MAX_POINTS = 10_000;

  /**
   * One step.
   *
   * @param from start of the step, inclusive
   * @param succeeded jobs that ended SUCCEEDED with {@code finishedAt} in the step
   * @param failed jobs that ended FAILED with {@code finishedAt} in the step
   */
  public record Point(Instant from, long succeeded, long failed) {
    /** Succeeded plus failed. */
    public long finished() {
      return succeeded + failed;
    }
  }

  public FinishedSeries {
    Objects.requireNonNull(first, "first");
    Objects.requireNonNull(step, "step");
    Objects.requireNonNull(end, "end");
    points = List.copyOf(points);
  }

  /**
   * Checks the arguments of a series request and returns the number of steps.
   *
   * @throws IllegalArgumentException if {@code step} is not positive, {@code count} is not in
   *     {@code 1..}{@value #MAX_POINTS}, or {@code end} is before the last step's start
   */
  public static int check(Instant first, Duration step, int count, Instant end) {
    Objects.requireNonNull(first, "first");
    Objects.requireNonNull(step, "step");
    Objects.requireNonNull(end, "end");
    if (step.isZero() || step.isNegative() || step.toNanos() % 1_000 != 0) {
      throw new IllegalArgumentException(
          "series step must be a positive whole number of microseconds, got " + step);
    }
    if (count < 1 || count > MAX_POINTS) {
      throw new IllegalArgumentException(
          "series must have 1 to " + MAX_POINTS + " steps, got " + count);
    }
    Instant lastFrom = first.plus(step.multipliedBy(count - 1L));
    if (end.isBefore(lastFrom)) {
      throw new IllegalArgumentException(
          "series end " + end + " is before its last step's start " + lastFrom);
    }
    return count;
  }

  /**
   * Counts {@code jobs} the way stores do in SQL, for stores that compute it in Java.
   *
   * @throws IllegalArgumentException as {@link #check}
   */
  public static FinishedSeries of(
      Instant first, Duration step, int count, Instant end, Iterable<Job> jobs) {
    check(first, step, count, end);
    long[] succeeded = new long[count];
    long[] failed = new long[count];
    long stepNanos = step.toNanos();
    for (Job j : jobs) {
      boolean ok = j.state() == JobState.SUCCEEDED;
      Instant at = j.finishedAt();
      if ((!ok && j.state() != JobState.FAILED)
          || at == null
          || at.isBefore(first)
          || at.isAfter(end)) {
        continue;
      }
      long i = Math.min(count - 1, Duration.between(first, at).toNanos() / stepNanos);
      if (ok) {
        succeeded[(int) i]++;
      } else {
        failed[(int) i]++;
      }
    }
    return fromCounts(first, step, end, succeeded, failed);
  }

  /** A series from per-step counts ({@code succeeded.length} steps). */
  public static FinishedSeries fromCounts(
      Instant first, Duration step, Instant end, long[] succeeded, long[] failed) {
    List<Point> points = new ArrayList<>(succeeded.length);
    for (int i = 0; i < succeeded.length; i++) {
      points.add(new Point(first.plus(step.multipliedBy(i)), succeeded[i], failed[i]));
    }
    return new FinishedSeries(first, step, end, points);
  }
}
