package dev.errand;

import java.time.Duration;
import java.util.Objects;

/**
 * How one after-response task runs: its time limit and its in-memory retries. Immutable and
 * thread-safe; each method returns a changed copy.
 *
 * <pre>{@code
 * AfterResponse.run("refresh-feed",
 *     TaskOptions.defaults().timeout(Duration.ofSeconds(5))
 *         .retries(3, Backoff.exponential(Duration.ofMillis(200))),
 *     () -> feed.refresh(userId));
 * }</pre>
 *
 * <p>Retries are best effort: they live in memory and are lost if the process dies. For work that
 * must happen, use the durable variant ({@link AfterResponse#run(JobType, Object)}).
 */
public final class TaskOptions {
  private static final TaskOptions DEFAULTS = new TaskOptions(null, 1, null);

  private final Duration timeout;
  private final int maxAttempts;
  private final Backoff backoff;

  private TaskOptions(Duration timeout, int maxAttempts, Backoff backoff) {
    this.timeout = timeout;
    this.maxAttempts = maxAttempts;
    this.backoff = backoff;
  }

  /** The lane's task timeout, one attempt, no retries. */
  public static TaskOptions defaults() {
    return DEFAULTS;
  }

  /**
   * Gives each attempt at most {@code timeout}; then its thread is interrupted and the request's
   * next task starts (see {@link AfterResponseLane}).
   *
   * @throws IllegalArgumentException if {@code timeout} is not positive
   */
  public TaskOptions timeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException(
          "task timeout must be positive, got " + timeout + "; use e.g. Duration.ofSeconds(30)");
    }
    return new TaskOptions(timeout, maxAttempts, backoff);
  }

  /**
   * Runs a failing (throwing, failed-stage or timed-out) task up to {@code maxAttempts} times in
   * all, waiting {@code backoff.delay(n)} after failed attempt {@code n}. A retry runs on its own,
   * after its wait; it does not hold back the request's later tasks.
   *
   * @throws IllegalArgumentException if {@code maxAttempts} is below 1
   */
  public TaskOptions retries(int maxAttempts, Backoff backoff) {
    Objects.requireNonNull(backoff, "backoff");
    if (maxAttempts < 1) {
      throw new IllegalArgumentException(
          "maxAttempts counts the first run too and must be at least 1," + " got " + maxAttempts);
    }
    return new TaskOptions(timeout, maxAttempts, backoff);
  }

  /** The per-attempt time limit, or null for the lane's default. */
  public Duration timeout() {
    return timeout;
  }

  /** Attempts in all, at least 1. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** The wait between attempts, or null when {@link #maxAttempts()} is 1. */
  public Backoff backoff() {
    return backoff;
  }

  @Override
  public String toString() {
    return "TaskOptions{timeout="
        + (timeout == null ? "lane default" : timeout)
        + ", maxAttempts="
        + maxAttempts
        + (backoff == null ? "" : ", backoff=" + backoff)
        + "}";
  }
}
