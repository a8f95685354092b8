package dev.errand;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One run of a job, as {@link Job#attempts()} lists it: its number, when it started and ended, how
 * it ended and, if it failed, its error. Times are the store's clock.
 *
 * @param number the attempt number (1 for the first run)
 * @param startedAt when the attempt started (the store's time of the claim); null when unknown (a
 *     failed attempt recorded before Errand kept the start)
 * @param finishedAt when it ended; null while it is {@link Outcome#RUNNING}
 * @param outcome how it ended
 * @param error the failed attempt's error; null for {@link Outcome#RUNNING}, {@link
 *     Outcome#SUCCEEDED} and {@link Outcome#CANCELLED}
 */
public record Attempt(
    int number, Instant startedAt, Instant finishedAt, Outcome outcome, AttemptError error) {

  /** How an attempt ended. */
  public enum Outcome {
    /** Still running: the job is RUNNING with this attempt. */
    RUNNING,
    /** The handler returned; the job SUCCEEDED. */
    SUCCEEDED,
    /**
     * The handler threw (error kinds {@code error} and {@code permanent}); the job was retried or,
     * after the last attempt or on a permanent error, dead-lettered.
     */
    FAILED,
    /** The handler ran past its type's timeout (error kind {@code timeout}). */
    TIMED_OUT,
    /**
     * The worker's lease expired and the rescuer spent the attempt (error kinds {@code rescued} and
     * {@code quarantined}); it ended when it was rescued.
     */
    RESCUED,
    /** The job was cancelled while this attempt ran; it ended when it was cancelled. */
    CANCELLED;

    /** The outcome an error of {@code kind} stands for; an unknown kind is {@link #FAILED}. */
    static Outcome ofErrorKind(String kind) {
      return switch (kind) {
        case "timeout" -> TIMED_OUT;
        case "rescued", "quarantined" -> RESCUED;
        default -> FAILED;
      };
    }
  }

  public Attempt {
    Objects.requireNonNull(outcome, "outcome");
  }

  /** The attempt of a failed-attempt record. */
  static Attempt of(AttemptError e) {
    return new Attempt(e.attempt(), e.startedAt(), e.at(), Outcome.ofErrorKind(e.kind()), e);
  }

  /**
   * How long the attempt ran, from {@link #startedAt} to {@link #finishedAt}; null while it runs or
   * when its start is unknown.
   */
  public Duration duration() {
    return startedAt == null || finishedAt == null ? null : Duration.between(startedAt, finishedAt);
  }
}
