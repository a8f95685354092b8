package dev.errand.spi;

import java.util.List;

/**
 * What {@link ScheduleStore#materialize} did with one {@link Materialization}.
 *
 * @param applied false if the cursor had moved (another node did this step), the schedule is gone
 *     or paused: then nothing was written
 * @param enqueued one result per {@link Materialization#create()} job when applied, else empty
 * @param cancelled how many of {@link Materialization#cancel()} were cancelled
 */
public record MaterializeResult(boolean applied, List<EnqueueResult> enqueued, int cancelled) {
  /** The result of a step that was not applied. */
  public static final MaterializeResult NOT_APPLIED = new MaterializeResult(false, List.of(), 0);
}
