package dev.errand;

import java.time.Duration;

/**
 * Thrown by a handler to fail this attempt and run the next one after {@link #delay()} instead of
 * after the type's {@link Backoff}: the attempt is spent and its error recorded as for any other
 * exception, and after the last attempt the job is dead-lettered to FAILED as usual. Use it when
 * the other side says when to come back, such as an HTTP {@code Retry-After} header.
 *
 * <p>It is never a permanent failure, even if {@link JobType#permanentOn} lists a superclass of it.
 * Works the same on every store: the delay only decides the retry's due time.
 */
public class RetryAfter extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Duration delay;

  /**
   * Retry after {@code delay}; {@code message} is stored as the attempt's error.
   *
   * @throws IllegalArgumentException if {@code delay} is null or negative
   */
  public RetryAfter(Duration delay, String message) {
    this(delay, message, null);
  }

  /** Like {@link #RetryAfter(Duration, String)}, keeping the cause. */
  public RetryAfter(Duration delay, String message, Throwable cause) {
    super(message, cause);
    if (delay == null || delay.isNegative()) {
      throw new IllegalArgumentException(
          "retry delay must be zero or positive, got "
              + delay
              + "; use Duration.ZERO to retry at once");
    }
    this.delay = delay;
  }

  /** How long the job waits before its next attempt. */
  public Duration delay() {
    return delay;
  }
}
