package dev.errand.spi;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One schedule's step of materialization, applied by {@link ScheduleStore#materialize} only if the
 * schedule's cursor still equals {@code expectedCursor}.
 *
 * @param name the schedule
 * @param expectedCursor the {@link StoredSchedule#materializedThrough()} this step was computed
 *     from
 * @param newCursor the cursor after this step; not before {@code expectedCursor}
 * @param refillAt when the schedule needs the schedulers next, or null for at once
 * @param create the occurrences to enqueue, each with this schedule's name as schedule id and a
 *     unique key
 * @param cancel ids of this schedule's waiting occurrences to cancel (misfire policy)
 */
public record Materialization(
    String name,
    Instant expectedCursor,
    Instant newCursor,
    Instant refillAt,
    List<NewJob> create,
    List<Long> cancel) {
  /** Checks arguments. */
  public Materialization {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(expectedCursor, "expectedCursor");
    Objects.requireNonNull(newCursor, "newCursor");
    if (newCursor.isBefore(expectedCursor)) {
      throw new IllegalArgumentException(
          "newCursor "
              + newCursor
              + " is before expectedCursor "
              + expectedCursor
              + " of schedule '"
              + name
              + "': the cursor only moves forward");
    }
    create = List.copyOf(create);
    cancel = List.copyOf(cancel);
  }
}
