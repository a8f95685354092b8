package dev.errand;

import com.cronutils.model.Cron;
import com.cronutils.model.definition.CronDefinition;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Optional;

/**
 * A Unix cron expression (5 fields, or 6 with seconds first) parsed and evaluated by cron-utils.
 *
 * <p>cron-utils is asked only about the zone-free wall clock: it evaluates the expression in UTC,
 * where no DST change exists, and {@link Schedule} applies the real zone. Asked directly in a zone
 * with DST, cron-utils 9.2.1 skips a local time that falls into a spring-forward gap (a daily 02:30
 * in America/New_York does not fire at all on 2024-03-10) and fires a repeated local time twice
 * when the search starts inside the repeated hour, which breaks Errand's rules; this split keeps
 * one set of DST rules for cron and calendar schedules alike.
 *
 * <p>Day of month and day of week follow Unix cron: when both are restricted (neither is {@code
 * *}), a day matching either fires ({@code 0 0 13 * 5} is every Friday and every 13th).
 */
final class CronRecurrence implements LocalRecurrence {
  private static final String[] FIELDS_5 = {
    "minute", "hour", "day-of-month", "month", "day-of-week"
  };
  private static final String[] FIELDS_6 = {
    "second", "minute", "hour", "day-of-month", "month", "day-of-week"
  };
  private static final CronParser MINUTE_PRECISION = new CronParser(definition(false));
  private static final CronParser SECOND_PRECISION = new CronParser(definition(true));

  /** Any date-time will do: a satisfiable expression fires within every 400-year cycle. */
  private static final LocalDateTime PROBE = LocalDateTime.of(2000, 1, 1, 0, 0);

  private final String expression;
  private final ExecutionTime executionTime;

  private CronRecurrence(String expression, ExecutionTime executionTime) {
    this.expression = expression;
    this.executionTime = executionTime;
  }

  /**
   * Parses {@code expression}; fields are separated by any whitespace.
   *
   * @throws IllegalArgumentException naming the field to fix and its valid values
   */
  static CronRecurrence parse(String expression) {
    String[] fields = expression.trim().split("\\s+");
    String normalized = String.join(" ", fields);
    if (fields.length != 5 && fields.length != 6) {
      throw new IllegalArgumentException(
          "cron expression '"
              + normalized
              + "' has "
              + (normalized.isEmpty() ? 0 : fields.length)
              + " fields: use 5 (minute hour day-of-month month day-of-week, e.g. '*/5 * * * *') or 6"
              + " (second minute hour day-of-month month day-of-week, e.g. '30 0 2 * * *')");
    }
    CronParser parser = fields.length == 6 ? SECOND_PRECISION : MINUTE_PRECISION;
    Cron cron;
    try {
      cron = parser.parse(normalized).validate();
    } catch (RuntimeException e) {
      throw invalid(normalized, fields, parser, e);
    }
    CronRecurrence recurrence = new CronRecurrence(normalized, ExecutionTime.forCron(cron));
    if (recurrence.next(PROBE).isEmpty()) {
      throw new IllegalArgumentException(
          "cron expression '"
              + normalized
              + "' never fires: no date matches its day-of-month and"
              + " month fields (e.g. day 30 or 31 in February); fix the day-of-month or month field");
    }
    return recurrence;
  }

  @Override
  public LocalDateTime nextAfter(LocalDateTime local) {
    return next(local)
        .orElseThrow(
            () ->
                new DateTimeException(
                    "cron expression '" + expression + "' has no occurrence after " + local));
  }

  /**
   * Fire times are whole seconds, so the next one after {@code local} is the next one after its
   * whole second. cron-utils is asked with whole seconds only: given a fraction of a second and a
   * seconds field of {@code *}, cron-utils 9.2.1 keeps the fraction ({@code * * * * * *} after
   * 00:00:00.5 gives 00:00:01.5).
   */
  private Optional<LocalDateTime> next(LocalDateTime local) {
    ZonedDateTime wholeSecond = local.truncatedTo(ChronoUnit.SECONDS).atZone(ZoneOffset.UTC);
    return executionTime.nextExecution(wholeSecond).map(ZonedDateTime::toLocalDateTime);
  }

  /** The expression with its fields separated by single spaces. */
  String expression() {
    return expression;
  }

  /** Finds the first field that is invalid on its own, so the message can name it. */
  private static IllegalArgumentException invalid(
      String expression, String[] fields, CronParser parser, RuntimeException cause) {
    String[] names = fields.length == 6 ? FIELDS_6 : FIELDS_5;
    String reason = detail(cause);
    for (int i = 0; i < fields.length; i++) {
      String[] alone = new String[fields.length];
      Arrays.fill(alone, "*");
      alone[i] = fields[i];
      try {
        parser.parse(String.join(" ", alone)).validate();
      } catch (RuntimeException e) {
        return new IllegalArgumentException(
            "cron expression '"
                + expression
                + "' is not valid: "
                + names[i]
                + " field '"
                + fields[i]
                + "' ("
                + detail(e)
                + "); "
                + names[i]
                + " takes "
                + validValues(names[i])
                + ", combined with * , - and /",
            cause);
      }
    }
    return new IllegalArgumentException(
        "cron expression '"
            + expression
            + "' is not valid ("
            + reason
            + "); use Unix cron fields"
            + " "
            + String.join(" ", names)
            + " with numbers, names, * , - and /",
        cause);
  }

  private static String detail(RuntimeException e) {
    String m = String.valueOf(e.getMessage());
    String prefix = "Failed to parse cron expression. ";
    return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
  }

  private static String validValues(String field) {
    switch (field) {
      case "second":
      case "minute":
        return "0-59";
      case "hour":
        return "0-23";
      case "day-of-month":
        return "1-31";
      case "month":
        return "1-12 or JAN-DEC";
      default:
        return "0-7 or SUN-SAT (0 and 7 are Sunday)";
    }
  }

  /** Unix crontab fields as cron-utils defines them, with an optional seconds field first. */
  static CronDefinition definition(boolean withSeconds) {
    CronDefinitionBuilder builder = CronDefinitionBuilder.defineCron();
    if (withSeconds) {
      builder = builder.withSeconds().withStrictRange().and();
    }
    return builder
        .withMinutes()
        .withStrictRange()
        .and()
        .withHours()
        .withStrictRange()
        .and()
        .withDayOfMonth()
        .withStrictRange()
        .and()
        .withMonth()
        .withStrictRange()
        .and()
        .withDayOfWeek()
        .withValidRange(0, 7)
        .withMondayDoWValue(1)
        .withIntMapping(7, 0)
        .withStrictRange()
        .and()
        .instance();
  }
}
