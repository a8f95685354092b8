package dev.errand.spi;

import dev.errand.AttemptError;
import java.time.Instant;
import java.util.Objects;

/**
 * The outcome of one attempt, to be written only if the job is still RUNNING under {@code fence}.
 *
 * @param id job id
 * @param fence fence of the claim that ran this attempt
 * @param outcome what to do
 * @param runAt for RETRY and SNOOZE: when the job is due again; else ignored
 * @param result for SUCCEEDED: result JSON or null
 * @param error for RETRY and FAIL: the attempt's error, appended to the history; the store sets its
 *     {@link AttemptError#startedAt() startedAt} to the start it recorded at the claim and its
 *     {@link AttemptError#at() at} to its own clock at this write, whatever the caller put there
 */
public record Completion(
    long id, long fence, Outcome outcome, Instant runAt, String result, AttemptError error) {

  /** What a completion does to its job. */
  public enum Outcome {
    /** RUNNING → SUCCEEDED. */
    SUCCEEDED,
    /** RUNNING → RETRYING at {@code runAt}, error appended. */
    RETRY,
    /** RUNNING → FAILED, error appended. */
    FAIL,
    /** RUNNING → SCHEDULED at {@code runAt}; the attempt is given back. */
    SNOOZE,
    /** RUNNING → QUEUED now (graceful shutdown); the attempt is given back. */
    RELEASE
  }

  public Completion {
    Objects.requireNonNull(outcome, "outcome");
    if ((outcome == Outcome.RETRY || outcome == Outcome.SNOOZE) && runAt == null) {
      throw new IllegalArgumentException(outcome + " needs runAt");
    }
    if ((outcome == Outcome.RETRY || outcome == Outcome.FAIL) && error == null) {
      throw new IllegalArgumentException(outcome + " needs an error");
    }
  }

  /** RUNNING → SUCCEEDED with an optional result. */
  public static Completion succeeded(long id, long fence, String result) {
    return new Completion(id, fence, Outcome.SUCCEEDED, null, result, null);
  }

  /** RUNNING → RETRYING, due at {@code runAt}. */
  public static Completion retry(long id, long fence, Instant runAt, AttemptError error) {
    return new Completion(id, fence, Outcome.RETRY, runAt, null, error);
  }

  /** RUNNING → FAILED. */
  public static Completion fail(long id, long fence, AttemptError error) {
    return new Completion(id, fence, Outcome.FAIL, null, null, error);
  }

  /** RUNNING → SCHEDULED at {@code runAt}, attempt given back. */
  public static Completion snooze(long id, long fence, Instant runAt) {
    return new Completion(id, fence, Outcome.SNOOZE, runAt, null, null);
  }

  /** RUNNING → QUEUED now, attempt given back. */
  public static Completion release(long id, long fence) {
    return new Completion(id, fence, Outcome.RELEASE, null, null, null);
  }
}
