package dev.errand;

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
 */
public record JobQuery(
    Set<JobState> states, String queue, String type, String tag, Long before, int limit) {
  /** Largest page size. */
  public static final int MAX_LIMIT = 1000;

  public JobQuery {
    states = states == null || states.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(states));
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
    }
  }

  /** Every job, 100 per page. */
  public static JobQuery all() {
    return new JobQuery(Set.of(), null, null, null, null, 100);
  }

  /** Only jobs in these stored states. */
  public JobQuery states(JobState... states) {
    return new JobQuery(Set.of(states), queue, type, tag, before, limit);
  }

  /** Only jobs of this queue; null for all. */
  public JobQuery queue(String queue) {
    return new JobQuery(states, queue, type, tag, before, limit);
  }

  /** Only jobs of this type; null for all. */
  public JobQuery type(String type) {
    return new JobQuery(states, queue, type, tag, before, limit);
  }

  /** Only jobs with this tag; null for all. */
  public JobQuery tag(String tag) {
    return new JobQuery(states, queue, type, tag, before, limit);
  }

  /** Only jobs with ids below {@code cursor} (a page's {@code nextCursor}); null from the top. */
  public JobQuery before(Long cursor) {
    return new JobQuery(states, queue, type, tag, cursor, limit);
  }

  /** Page size, 1–{@value #MAX_LIMIT}. */
  public JobQuery limit(int limit) {
    return new JobQuery(states, queue, type, tag, before, limit);
  }
}
