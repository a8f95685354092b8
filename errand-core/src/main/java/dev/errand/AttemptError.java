package dev.errand;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The error of one failed attempt, kept in the job's error history: what ended the attempt, and
 * when it started and ended. Both times are the store's clock (the one leases are judged by), so
 * their difference is the attempt's duration whatever the clocks of the nodes; see {@link
 * Job#attempts()} for every attempt, the succeeded or running one included.
 *
 * @param attempt the attempt number that failed (1 for the first run)
 * @param startedAt when the attempt started (the store's time of the claim that ran it); null when
 *     unknown: error histories written before Errand recorded it have none
 * @param at when the attempt ended: the store's time of the write that recorded the failure, or of
 *     the rescue that found the lease expired
 * @param kind what ended the attempt: {@code error}, {@code permanent}, {@code timeout}, {@code
 *     rescued} (the worker's lease expired) or {@code quarantined}
 * @param message the exception class and message, or a description written by Errand
 * @param stackTrace the first lines of the stack trace, or empty
 */
public record AttemptError(
    int attempt, Instant startedAt, Instant at, String kind, String message, String stackTrace) {
  public AttemptError {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(kind, "kind");
    message = message == null ? "" : message;
    stackTrace = stackTrace == null ? "" : stackTrace;
  }

  /**
   * How long the attempt ran, from {@link #startedAt} to {@link #at}; null when the start is
   * unknown.
   */
  public Duration duration() {
    return startedAt == null ? null : Duration.between(startedAt, at);
  }

  /**
   * This error with its start and end as a store recorded them.
   *
   * @param startedAt the start of the attempt, or null if unknown
   * @param at the end of the attempt
   */
  public AttemptError recorded(Instant startedAt, Instant at) {
    return new AttemptError(attempt, startedAt, at, kind, message, stackTrace);
  }
}
