package dev.errand.examples.recurring;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * A task as a client sends it. {@code dueDate} is an ISO-8601 instant ({@code
 * 2024-02-01T09:00:00.000Z}, or with an offset) or a wall-clock date-time without offset ({@code
 * 2024-03-10T02:00:00}) read in {@code timeZone}; {@code timeZone} (an IANA id, default the app's)
 * is the zone whose wall clock a recurring task keeps. {@code repeatType} defaults to {@code none}.
 */
public record TaskInput(
    String title, String dueDate, String repeatType, Long parentTaskId, String timeZone) {
  static final int MAX_TITLE = 200;

  String repeatTypeOrNone() {
    return repeatType == null ? "none" : repeatType;
  }

  ZoneId zone(ZoneId defaultZone) {
    return timeZone == null ? defaultZone : ZoneId.of(timeZone);
  }

  /** Every problem of this task, 003's rules among them; empty if it can be saved. */
  List<String> validate(ZoneId defaultZone, Instant now) {
    List<String> errors = new ArrayList<>();
    if (title == null || title.isBlank() || title.length() > MAX_TITLE) {
      errors.add("title is required, 1-" + MAX_TITLE + " characters");
    }
    ZoneId zone = null;
    try {
      zone = zone(defaultZone);
    } catch (DateTimeException e) {
      errors.add("timeZone '" + timeZone + "' is not a time zone id such as UTC or Europe/London");
    }
    Instant due = null;
    if (dueDate != null && zone != null) {
      try {
        due = dueInstant(zone);
        if (wallClockDue(zone).getNano() != 0) {
          errors.add("dueDate must be in whole seconds, got " + dueDate);
        }
      } catch (DateTimeParseException e) {
        errors.add(
            "dueDate '"
                + dueDate
                + "' is not an ISO-8601 date-time such as"
                + " 2024-02-01T09:00:00.000Z or 2024-03-10T02:00:00");
      }
    }
    errors.addAll(RecurrenceEngine.validate(repeatType, parentTaskId, due, now));
    if (dueDate != null && due == null) {
      errors.remove("Recurring tasks need a due date");
    }
    return errors;
  }

  /** The due date's wall-clock time in {@code zone}. */
  LocalDateTime wallClockDue(ZoneId zone) {
    return hasOffset()
        ? OffsetDateTime.parse(dueDate).atZoneSameInstant(zone).toLocalDateTime()
        : LocalDateTime.parse(dueDate);
  }

  /**
   * The due instant; a wall-clock time that does not exist in {@code zone} (inside a DST gap) is
   * moved forward by the gap, a repeated one takes its first (summer-time) instant, as Errand's
   * schedules do.
   */
  Instant dueInstant(ZoneId zone) {
    return hasOffset()
        ? OffsetDateTime.parse(dueDate).toInstant()
        : ZonedDateTime.ofLocal(LocalDateTime.parse(dueDate), zone, null).toInstant();
  }

  private boolean hasOffset() {
    return dueDate.endsWith("Z")
        || dueDate.endsWith("z")
        || dueDate.matches(".*T.*[+-]\\d{2}:?\\d{2}$");
  }
}
