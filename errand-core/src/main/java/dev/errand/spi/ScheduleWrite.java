package dev.errand.spi;

/**
 * What {@link ScheduleStore#upsert} did.
 *
 * @param created true if no schedule of that name existed
 * @param changed true if an existing schedule's definition was replaced
 * @param cancelled future occurrences of the old definition that were cancelled
 */
public record ScheduleWrite(boolean created, boolean changed, int cancelled) {}
