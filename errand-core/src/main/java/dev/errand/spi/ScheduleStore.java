package dev.errand.spi;

import dev.errand.Job;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The stored schedules of a {@link JobStore} ({@link JobStore#schedules()}). Every method is one
 * atomic store operation (one transaction), safe from many threads and processes at once; "now" is
 * the store's clock ({@link JobStore#now()}).
 *
 * <p>The once-per-cluster guarantee rests on {@link #materialize}: occurrences are only ever
 * enqueued in the same transaction that moves a schedule's cursor forward from the value the caller
 * read, so two schedulers can never both enqueue the fire times after one cursor value, and a fire
 * time at or before the cursor is never enqueued again, even after its job was pruned. The
 * occurrences' unique keys (schedule, fire time) guard the same thing a second time among live
 * jobs.
 *
 * <p>A waiting occurrence is one in SCHEDULED, QUEUED or RETRYING; cancelling one sets it to
 * CANCELLED as {@link JobStore#cancel} does. RUNNING occurrences are never cancelled here.
 */
public interface ScheduleStore {

  /**
   * Creates the schedule {@code s.name()}, or replaces its definition. A new schedule is stored as
   * given (cursor included, {@code refillAt} null, not paused unless {@code s.paused()}). An
   * existing schedule with the {@linkplain StoredSchedule#sameDefinition same definition} is left
   * alone (cursor, pause and pending occurrences kept). An existing schedule with another
   * definition gets the new one, keeps its pause state, and in the same transaction loses its
   * waiting occurrences due after now (cancelled); its cursor becomes the earlier of itself and
   * now, and {@code refillAt} null, so the new definition fires from now on and no fire time at or
   * before the cursor runs twice.
   */
  ScheduleWrite upsert(StoredSchedule s);

  /** The schedule named {@code name}, if stored. */
  Optional<StoredSchedule> find(String name);

  /** Every stored schedule, by name. */
  List<StoredSchedule> list();

  /**
   * Schedules that need a scheduler: not paused, with {@code refillAt} null or not after {@code
   * now}, named after {@code afterName} (empty for the first page); at most {@code limit}, ordered
   * by name (so that concurrent schedulers take row locks in one order).
   */
  List<StoredSchedule> due(java.time.Instant now, String afterName, int limit);

  /**
   * Applies each step whose schedule still has the expected cursor and is not paused: moves the
   * cursor, sets {@code refillAt}, cancels the listed waiting occurrences of that schedule and
   * enqueues its new occurrences (unique keys respected as by {@link JobStore#enqueue}), all in one
   * transaction for the whole list. Steps whose cursor moved, whose schedule is gone or paused, are
   * not applied and write nothing. Results are in input order.
   */
  List<MaterializeResult> materialize(List<Materialization> steps);

  /**
   * Deletes the schedule and, in the same transaction, cancels its waiting occurrences.
   *
   * @return how many occurrences were cancelled, or empty if no such schedule exists
   */
  OptionalInt delete(String name);

  /**
   * Pauses or resumes the schedule. Pausing cancels, in the same transaction, its waiting
   * occurrences due after now and moves the cursor back to now if it was later; resuming moves the
   * cursor up to now if it was earlier (fire times while paused are not missed ones, they are
   * skipped). Either sets {@code refillAt} null. A no-op if it is already in that state.
   *
   * @return occurrences cancelled, or empty if no such schedule exists
   */
  OptionalInt setPaused(String name, boolean paused);

  /**
   * The live (SCHEDULED, QUEUED, RUNNING, RETRYING) jobs whose schedule id is {@code name}, by run
   * time then id; at most {@code limit}.
   */
  List<Job> occurrences(String name, int limit);

  /**
   * Cancels up to {@code limit} waiting jobs whose schedule id names no stored schedule (orphans:
   * their schedule was removed behind Errand's back, or they were retried by hand after it was
   * deleted).
   *
   * @return how many were cancelled
   */
  int cancelOrphans(int limit);
}
