package dev.errand.examples.recurring;

import dev.errand.Schedule;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Date calculation and validation of recurring tasks (003's "Recurrence Engine"). The dates come
 * from Errand's {@link Schedule}: daily adds a day and weekly seven days at the same wall-clock
 * time, monthly keeps the first due date's day of month as its anchor (2024-01-31 → 2024-02-29 →
 * 2024-03-31), and the wall-clock time is kept across DST changes. Pure and thread-safe; "now" is
 * always passed in.
 */
public final class RecurrenceEngine {
  /** The repeat types 003 allows. */
  public static final List<String> REPEAT_TYPES = List.of("none", "daily", "weekly", "monthly");

  /** How many occurrences after a task are kept materialized. */
  public static final int OCCURRENCES_AHEAD = 3;

  /** How far in the past a due date may lie. */
  public static final Duration MAX_PAST_DUE = Duration.ofDays(1);

  private RecurrenceEngine() {}

  /**
   * The schedule of a task first due at the wall-clock time {@code firstDue} in {@code zone}. The
   * wall-clock time is kept even when it does not exist on the first day (a 02:00 on a
   * spring-forward day is due at 03:00 that day, and at 02:00 in later months).
   *
   * @throws IllegalArgumentException unless {@code repeatType} is daily, weekly or monthly
   */
  public static Schedule schedule(String repeatType, LocalDateTime firstDue, ZoneId zone) {
    return switch (normalized(repeatType)) {
      case "daily" -> Schedule.daily(firstDue.toLocalTime(), zone);
      case "weekly" -> Schedule.weekly(firstDue.getDayOfWeek(), firstDue.toLocalTime(), zone);
      case "monthly" -> Schedule.monthly(firstDue.getDayOfMonth(), firstDue.toLocalTime(), zone);
      default -> throw new IllegalArgumentException("Invalid repeat type: " + repeatType);
    };
  }

  /** 003's {@code calculateNextOccurrence(date, repeatType)}: the occurrence after {@code base}. */
  public static Instant calculateNextOccurrence(ZonedDateTime base, String repeatType) {
    return schedule(repeatType, base.toLocalDateTime(), base.getZone()).next(base.toInstant());
  }

  /** The {@value #OCCURRENCES_AHEAD} occurrences of {@code schedule} after {@code due}. */
  public static List<Instant> nextOccurrences(Schedule schedule, Instant due) {
    return schedule.occurrences(due, OCCURRENCES_AHEAD);
  }

  /**
   * 003's validation rules, in its order; every broken rule's message, empty if the task is valid.
   *
   * @param parentTaskId the parent of a sub-task, or null
   * @param dueDate the due date, or null if the task has none
   */
  public static List<String> validate(
      String repeatType, Long parentTaskId, Instant dueDate, Instant now) {
    List<String> errors = new ArrayList<>();
    String type = repeatType == null ? "none" : repeatType;
    if (parentTaskId != null && !"none".equals(type)) {
      errors.add("Sub-tasks cannot have recurring patterns");
    }
    if (dueDate != null && dueDate.isBefore(now.minus(MAX_PAST_DUE))) {
      errors.add("Due date should not be more than 1 day in the past");
    }
    if (!REPEAT_TYPES.contains(type)) {
      errors.add("Invalid repeat type: " + repeatType);
    }
    if (!"none".equals(type) && REPEAT_TYPES.contains(type) && dueDate == null) {
      errors.add("Recurring tasks need a due date");
    }
    return errors;
  }

  private static String normalized(String repeatType) {
    return repeatType == null ? "" : repeatType.trim().toLowerCase(Locale.ROOT);
  }
}
