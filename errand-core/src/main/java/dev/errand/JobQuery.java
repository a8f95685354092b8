package dev.errand;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;

/**
 * A filter for listing jobs, newest first, one page at a time. Immutable.
 *
 * <pre>{@code
 * JobPage page = errand.jobs(JobQuery.all().states(JobState.FAILED).queue("email").limit(50));
 * JobPage next = errand.jobs(query.before(page.nextCursor()));
 * }</pre>
 *
 * @param states states to include; empty for all
 * @param queue only this queue, or null
 * @param type only this type, or null
 * @param tag only jobs with this tag, or null
 * @param before only ids below this cursor, or null for the newest
 * @param limit page size, 1–1000
 * @param createdFrom only jobs enqueued at or after this instant (store clock), or null
 * @param createdBefore only jobs enqueued before this instant (store clock), or null
 */
public record JobQuery(
    Set<JobState> states,
    String queue,
    String type,
    String tag,
    Long before,
    int limit,
    Instant createdFrom,
    Instant createdBefore) {
  /** Largest page size. */
  public static final int MAX_LIMIT = 1000;

  /**
   * Checks the values.
   *
   * @throws IllegalArgumentException if {@code limit} is outside 1–{@value #MAX_LIMIT}, or both
   *     ends of the time range are given and {@code createdBefore} is not after {@code createdFrom}
   */
  public JobQuery {
    states = states == null || states.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(states));
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException(
          "limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
    }
    if (createdFrom != null && createdBefore != null && !createdBefore.isAfter(createdFrom)) {
      throw new IllegalArgumentException(
          "the time range is empty: createdBefore "
              + createdBefore
              + " must be after createdFrom "
              + createdFrom);
    }
  }

  /** A query without a time range. */
  public JobQuery(
      Set<JobState> states, String queue, String type, String tag, Long before, int limit) {
    this(states, queue, type, tag, before, limit, null, null);
  }

  /** Every job, 100 per page. */
  public static JobQuery all() {
    return new JobQuery(Set.of(), null, null, null, null, 100, null, null);
  }

  /** Only jobs in these stored states. */
  public JobQuery states(JobState... states) {
    return new JobQuery(
        Set.of(states), queue, type, tag, before, limit, createdFrom, createdBefore);
  }

  /** Only jobs of this queue; null for all. */
  public JobQuery queue(String queue) {
    return new JobQuery(states, queue, type, tag, before, limit, createdFrom, createdBefore);
  }

  /** Only jobs of this type; null for all. */
  public JobQuery type(String type) {
    return new JobQuery(states, queue, type, tag, before, limit, createdFrom, createdBefore);
  }

  /** Only jobs with this tag; null for all. */
  public JobQuery tag(String tag) {
    return new JobQuery(states, queue, type, tag, before, limit, createdFrom, createdBefore);
  }

  /**
   * Only jobs enqueued in {@code [from, before)} by the store's clock; either end may be null for
   * an open end.
   *
   * @throws IllegalArgumentException if both are given and {@code before} is not after {@code from}
   */
  public JobQuery created(Instant from, Instant before) {
    return new JobQuery(states, queue, type, tag, this.before, limit, from, before);
  }

  /** Only jobs with ids below {@code cursor} (a page's {@code nextCursor}); null from the top. */
  public JobQuery before(Long cursor) {
    return new JobQuery(states, queue, type, tag, cursor, limit, createdFrom, createdBefore);
  }

  /** Page size, 1–{@value #MAX_LIMIT}. */
  public JobQuery limit(int limit) {
    return new JobQuery(states, queue, type, tag, before, limit, createdFrom, createdBefore);
  }
}
