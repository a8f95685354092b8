package dev.errand;

import java.time.Instant;
import java.util.List;

/**
 * A stored schedule as {@link Errand#schedules()} and {@link Errand#schedule(String)} show it.
 * Immutable snapshot; read again for fresh values.
 *
 * @param name unique name; its occurrences carry it as {@link Job#scheduleId()}
 * @param type job type of its occurrences
 * @param queue queue of its occurrences
 * @param payload payload JSON of its occurrences
 * @param schedule when it fires
 * @param lookAhead occurrences kept materialized ahead
 * @param misfire what happens to fire times missed while no scheduler ran
 * @param paused true while paused (no new occurrences)
 * @param builtIn true for Errand's maintenance schedules (names starting with {@code errand.})
 * @param materializedThrough every fire time up to this instant has been materialized (or skipped);
 *     later ones have not
 * @param createdAt when it was first stored (store clock)
 * @param updatedAt when its definition last changed (store clock)
 * @param upcoming its live occurrences (SCHEDULED, QUEUED, RUNNING, RETRYING), by run time
 * @param nextFireTimes its next {@code lookAhead} fire times after now; empty while paused
 */
public record ScheduleInfo(
    String name,
    String type,
    String queue,
    String payload,
    Schedule schedule,
    int lookAhead,
    Misfire misfire,
    boolean paused,
    boolean builtIn,
    Instant materializedThrough,
    Instant createdAt,
    Instant updatedAt,
    List<Job> upcoming,
    List<Instant> nextFireTimes) {
  /** Copies the lists. */
  public ScheduleInfo {
    upcoming = List.copyOf(upcoming);
    nextFireTimes = List.copyOf(nextFireTimes);
  }
}
