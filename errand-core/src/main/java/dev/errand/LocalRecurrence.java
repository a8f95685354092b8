package dev.errand;

import java.time.LocalDateTime;

/**
 * A recurrence on the wall clock of no particular zone: the local date-times at which a calendar or
 * cron schedule fires, before any time zone (and so any DST change) is applied. {@link Schedule}
 * maps these local date-times to instants with one set of DST rules for every kind. Implementations
 * are immutable and thread-safe.
 */
interface LocalRecurrence {
  /**
   * The first matching local date-time strictly after {@code local}.
   *
   * @throws java.time.DateTimeException if there is none within the range of {@link LocalDateTime}
   */
  LocalDateTime nextAfter(LocalDateTime local);
}
