package dev.errand;

/**
 * Where a job is in its life.
 *
 * <pre>
 * SCHEDULED ─┐
 * QUEUED ────┼─▶ RUNNING ─▶ SUCCEEDED
 * RETRYING ──┘      │
 *                   ├─▶ RETRYING (failed attempt, waits for its backoff)
 *                   └─▶ FAILED   (last attempt, permanent error, or quarantined: the dead letter)
 * any non-final state ─▶ CANCELLED
 * </pre>
 *
 * <p>A {@code SCHEDULED} or {@code RETRYING} job whose run time has passed is due: workers claim it
 * exactly like a {@code QUEUED} one, and {@link Job#effectiveState()} reports it as {@code QUEUED}.
 * No write is needed for that step.
 */
public enum JobState {
  /** Waiting for a run time in the future (enqueued with a delay, or a schedule occurrence). */
  SCHEDULED,
  /** Due: the next free worker of its queue takes it. */
  QUEUED,
  /** Claimed by a worker that holds its lease. */
  RUNNING,
  /** An attempt failed; waits for its backoff, then runs again. */
  RETRYING,
  /** The handler returned normally. Final. */
  SUCCEEDED,
  /** Attempts exhausted, permanent failure, or quarantined. Final; can be retried by hand. */
  FAILED,
  /** Cancelled by a user before it finished. Final; can be retried by hand. */
  CANCELLED;

  /** True for states a job never leaves on its own: SUCCEEDED, FAILED, CANCELLED. */
  public boolean isFinal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }

  /** True for states a worker may claim once the run time has come. */
  public boolean isWaiting() {
    return this == SCHEDULED || this == QUEUED || this == RETRYING;
  }

  /**
   * Parses a state name case-insensitively.
   *
   * @throws IllegalArgumentException naming the accepted values when {@code name} is not one
   */
  public static JobState parse(String name) {
    if (name != null) {
      for (JobState s : values()) {
        if (s.name().equalsIgnoreCase(name.trim())) {
          return s;
        }
      }
    }
    throw new IllegalArgumentException(
        "unknown job state '" + name + "'; use one of " + java.util.Arrays.toString(values()));
  }
}
