package dev.errand;

import java.time.Instant;
import java.util.Objects;

/**
 * The error of one failed attempt, kept in the job's error history.
 *
 * @param attempt the attempt number that failed (1 for the first run)
 * @param at when the failure was recorded
 * @param kind what ended the attempt: {@code error}, {@code permanent}, {@code timeout}, {@code
 *     rescued} (the worker's lease expired) or {@code quarantined}
 * @param message the exception class and message, or a description written by Errand
 * @param stackTrace the first lines of the stack trace, or empty
 */
public record AttemptError(
    int attempt, Instant at, String kind, String message, String stackTrace) {
  public AttemptError {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(kind, "kind");
    message = message == null ? "" : message;
    stackTrace = stackTrace == null ? "" : stackTrace;
  }
}
