package dev.errand.spi;

import dev.errand.Misfire;
import dev.errand.Schedule;
import java.time.Instant;
import java.util.Objects;

/**
 * One row of the stored schedules ({@code errand_schedules}): the definition, and the cursor the
 * schedulers of all nodes advance together.
 *
 * @param name unique name; occurrences carry it as {@link dev.errand.Job#scheduleId()}
 * @param type job type of every occurrence
 * @param queue queue of every occurrence (the type's queue when defined)
 * @param priority priority of every occurrence
 * @param maxAttempts max attempts of every occurrence
 * @param payload payload JSON of every occurrence
 * @param schedule when it fires
 * @param lookAhead occurrences kept materialized ahead of now
 * @param misfire what happens to fire times missed while no scheduler ran
 * @param paused true while paused: no new occurrences
 * @param materializedThrough the cursor: every fire time at or before it has been materialized or
 *     deliberately not (skipped, paused); only ever moves forward through {@link
 *     ScheduleStore#materialize}, and back only to "now" on a pause or redefinition, which cancel
 *     the occurrences after it
 * @param refillAt when the schedulers should look at this schedule next (the first fire time of the
 *     window); null means at once
 * @param createdAt when it was first stored (store clock); ignored on write
 * @param updatedAt when its definition last changed (store clock); ignored on write
 */
public record StoredSchedule(
    String name,
    String type,
    String queue,
    int priority,
    int maxAttempts,
    String payload,
    Schedule schedule,
    int lookAhead,
    Misfire misfire,
    boolean paused,
    Instant materializedThrough,
    Instant refillAt,
    Instant createdAt,
    Instant updatedAt) {
  /** Checks that no required part is null. */
  public StoredSchedule {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(payload, "payload");
    Objects.requireNonNull(schedule, "schedule");
    Objects.requireNonNull(misfire, "misfire");
    Objects.requireNonNull(materializedThrough, "materializedThrough");
  }

  /** True if the two rows define the same occurrences (ignores paused, cursor and times). */
  public boolean sameDefinition(StoredSchedule o) {
    return type.equals(o.type)
        && queue.equals(o.queue)
        && priority == o.priority
        && maxAttempts == o.maxAttempts
        && payload.equals(o.payload)
        && schedule.equals(o.schedule)
        && lookAhead == o.lookAhead
        && misfire.equals(o.misfire);
  }
}
