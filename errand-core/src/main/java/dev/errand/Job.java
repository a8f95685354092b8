package dev.errand;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A snapshot of one stored job, as read from the store. Immutable; read again for fresh values.
 *
 * @param id the store-assigned id, unique per store
 * @param type the registered job type name
 * @param queue the queue whose workers run it
 * @param payload the payload as JSON
 * @param state the stored state (see {@link #effectiveState()} for what a user should be shown)
 * @param priority higher runs first among due jobs of one queue; 0 by default
 * @param attempt attempts spent so far (0 until the first claim)
 * @param maxAttempts attempts allowed before the job is dead-lettered to FAILED
 * @param runAt when it becomes (or became) due
 * @param uniqueKey the unique key, or null
 * @param leaseUntil while RUNNING, when the worker's lease expires (database clock); else null
 * @param nodeId while RUNNING, the node holding it; afterwards the node that ran it last; or null
 * @param createdAt when it was enqueued
 * @param startedAt when the latest attempt started, or null
 * @param finishedAt when it reached a final state, or null
 * @param lastError message of the latest failed attempt, or null
 * @param errors every failed attempt's error, with its start and end, oldest first (see {@link
 *     #attempts()} for every attempt)
 * @param progress the handler's last reported progress in percent (0–100), or null
 * @param result the handler's result as JSON, or null
 * @param scheduleId the schedule that created it, or null
 * @param tags free-form labels given at enqueue
 * @param rescues how many times a lease expired while it ran (its node presumably died)
 */
public record Job(
    long id,
    String type,
    String queue,
    String payload,
    JobState state,
    int priority,
    int attempt,
    int maxAttempts,
    Instant runAt,
    String uniqueKey,
    Instant leaseUntil,
    String nodeId,
    Instant createdAt,
    Instant startedAt,
    Instant finishedAt,
    String lastError,
    List<AttemptError> errors,
    Integer progress,
    String result,
    String scheduleId,
    Set<String> tags,
    int rescues) {

  public Job {
    errors = errors == null ? List.of() : List.copyOf(errors);
    tags = tags == null ? Set.of() : Set.copyOf(tags);
  }

  /**
   * Every attempt of this job, oldest first: each failed attempt of {@link #errors()} (retried or
   * final, timed out, rescued), then the latest attempt if no error records it — RUNNING (started
   * at {@link #startedAt()}, not yet ended), SUCCEEDED (from {@link #startedAt()} to {@link
   * #finishedAt()}) or CANCELLED while it ran (ended when cancelled). Attempts given back by a
   * snooze or a graceful shutdown are not attempts and are not listed; neither is an attempt
   * cancelled while it ran once the job has been retried by hand (nothing stored records it).
   */
  public List<Attempt> attempts() {
    List<Attempt> out = new ArrayList<>(errors.size() + 1);
    for (AttemptError e : errors) {
      out.add(Attempt.of(e));
    }
    int recorded = errors.isEmpty() ? 0 : errors.get(errors.size() - 1).attempt();
    if (attempt > recorded && startedAt != null) {
      switch (state) {
        case RUNNING ->
            out.add(new Attempt(attempt, startedAt, null, Attempt.Outcome.RUNNING, null));
        case SUCCEEDED ->
            out.add(new Attempt(attempt, startedAt, finishedAt, Attempt.Outcome.SUCCEEDED, null));
        case CANCELLED ->
            out.add(new Attempt(attempt, startedAt, finishedAt, Attempt.Outcome.CANCELLED, null));
        default -> {}
      }
    }
    return out;
  }

  /**
   * The state to show a user at {@code now}: a SCHEDULED or RETRYING job whose run time has passed
   * is QUEUED (due, waiting for a free worker); every other state is returned as stored.
   */
  public JobState effectiveState(Instant now) {
    if ((state == JobState.SCHEDULED || state == JobState.RETRYING) && !runAt.isAfter(now)) {
      return JobState.QUEUED;
    }
    return state;
  }
}
