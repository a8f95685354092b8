package dev.errand;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad schedules are rejected with a message that names the part to fix and what would be valid. */
class ScheduleValidationTest {
  private static final ZoneId UTC = ZoneId.of("UTC");

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      # the kind
      hourly:00@UTC                     | schedule kind 'hourly' is not known    | use cron, daily, weekly, monthly or every
      none:x                            | schedule kind 'none' is not known      | use cron, daily, weekly, monthly or every
      02:00@UTC                         | schedule kind '02' is not known        | use cron, daily, weekly, monthly or every
      daily                             | has no kind                            | e.g. daily:02:00@Europe/London
      ''                                | has no kind                            | start it with cron, daily, weekly, monthly or every
      # the cron expression, field by field
      cron:60 * * * *@UTC               | minute field '60'                      | minute takes 0-59
      cron:* 24 * * *@UTC               | hour field '24'                        | hour takes 0-23
      cron:* * 0 * *@UTC                | day-of-month field '0'                 | day-of-month takes 1-31
      cron:* * 32 * *@UTC               | day-of-month field '32'                | day-of-month takes 1-31
      cron:* * * 13 *@UTC               | month field '13'                       | month takes 1-12 or JAN-DEC
      cron:* * * * 8@UTC                | day-of-week field '8'                  | day-of-week takes 0-7 or SUN-SAT
      cron:* * * * MONDAYS@UTC          | day-of-week field 'MONDAYS'            | day-of-week takes 0-7 or SUN-SAT
      cron:61 * * * * *@UTC             | second field '61'                      | second takes 0-59
      cron:0 60 * * * *@UTC             | minute field '60'                      | minute takes 0-59
      cron:*/0 * * * *@UTC              | minute field '*/0'                     | minute takes 0-59
      cron:5-1 * * * *@UTC              | minute field '5-1'                     | minute takes 0-59
      cron:* * L * *@UTC                | day-of-month field 'L'                 | day-of-month takes 1-31
      cron:* * * *@UTC                  | has 4 fields                           | use 5 (minute hour day-of-month month day-of-week
      cron:* * * * * * *@UTC            | has 7 fields                           | or 6 (second minute hour day-of-month month day-of-week
      cron:@UTC                         | has 0 fields                           | use 5
      cron:0 0 30 2 *@UTC               | '0 0 30 2 *' never fires               | fix the day-of-month or month field
      cron:0 0 31 4,6,9,11 *@UTC        | never fires                            | fix the day-of-month or month field
      # the zone
      daily:02:00                       | has no time zone                       | end it with @ and a zone id, e.g. @UTC or @Europe/London
      cron:0 2 * * *                    | has no time zone                       | end it with @ and a zone id
      daily:02:00@Mars/Olympus_Mons     | time zone 'Mars/Olympus_Mons' does not exist | use an IANA zone id such as UTC, Europe/London or America/New_York
      daily:02:00@europe/london         | time zone 'europe/london' does not exist     | did you mean Europe/London?
      daily:02:00@PST                   | time zone 'PST' does not exist               | use an IANA zone id
      daily:02:00@                      | time zone '' does not exist                  | use an IANA zone id
      # the time
      daily:25:00@UTC                   | time '25:00' is not valid              | use HH:mm or HH:mm:ss on the 24-hour clock
      daily:02:60@UTC                   | time '02:60' is not valid              | from 00:00 to 23:59:59
      daily:2pm@UTC                     | time '2pm' is not valid                | e.g. 02:00 or 23:59:30
      daily:02:00:00.5@UTC              | time '02:00:00.5' is not valid         | use HH:mm or HH:mm:ss
      weekly:SUNDAY 24:00@UTC           | time '24:00' is not valid              | use HH:mm or HH:mm:ss
      # the day
      weekly:SUNDAI 03:00@UTC           | day of week 'SUNDAI' is not valid      | use MONDAY … SUNDAY or MON … SUN
      weekly:03:00@UTC                  | needs a day and a time                 | e.g. weekly:SUNDAY 03:00@UTC
      monthly:0 10:00@UTC               | dayOfMonth must be between 1 and 31, got 0  | 31 means the last day of every month
      monthly:32 10:00@UTC              | dayOfMonth must be between 1 and 31, got 32 | 31 means the last day of every month
      monthly:last 10:00@UTC            | day of month 'last' is not valid       | use a number from 1 to 31
      monthly:-1 10:00@UTC              | day of month '-1' is not valid         | use a number from 1 to 31
      monthly:10:00@UTC                 | needs a day of month and a time        | e.g. monthly:31 10:00@America/New_York
      # the interval and anchor
      every:PT0S                        | every interval must be positive, got PT0S   | use e.g. PT30S, PT5M or PT1H
      every:-PT5S                       | every interval must be positive, got PT-5S  | use e.g. PT30S, PT5M or PT1H
      every:30s                         | every interval '30s' is not an ISO-8601 duration | use e.g. PT30S, PT5M, PT1H or P1D
      every:                            | every:INTERVAL or every:INTERVAL from ANCHOR     | e.g. every:PT30S
      every:PT0.0005S                   | every interval PT0.0005S is not a whole number of milliseconds | e.g. PT0.5S
      every:PT1H from yesterday         | every anchor 'yesterday' is not an ISO-8601 instant | e.g. 2024-01-01T00:15:00Z
      every:PT1H since 2024-01-01T00:00:00Z | every:INTERVAL or every:INTERVAL from ANCHOR | e.g. every:PT30S or every:PT1H from 2024-01-01T00:15:00Z
      every:PT30S@UTC                   | every counts elapsed time in no zone   | remove the @ part
      """)
  void bad_text_names_the_part_to_fix(String text, String problem, String remedy) {
    assertThatThrownBy(() -> Schedule.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(problem)
        .hasMessageContaining(remedy);
  }

  @Test
  void bad_factory_arguments_name_the_value() {
    assertThatThrownBy(() -> Schedule.cron("60 * * * *", UTC))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cron expression '60 * * * *' is not valid: minute field '60'")
        .hasMessageContaining("Value 60 not in range [0, 59]");
    assertThatThrownBy(() -> Schedule.daily(LocalTime.of(2, 0, 0, 500), UTC))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("time 02:00:00.000000500 has a fraction of a second")
        .hasMessageContaining("use e.g. 02:00");
    assertThatThrownBy(() -> Schedule.weekly(DayOfWeek.MONDAY, LocalTime.of(2, 0, 1, 1), UTC))
        .hasMessageContaining("fraction of a second");
    assertThatThrownBy(() -> Schedule.monthly(0, LocalTime.NOON, UTC))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dayOfMonth must be between 1 and 31, got 0");
    assertThatThrownBy(() -> Schedule.monthly(32, LocalTime.NOON, UTC))
        .hasMessageContaining("dayOfMonth must be between 1 and 31, got 32");
    assertThatThrownBy(() -> Schedule.every(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("every interval must be positive, got PT0S");
    assertThatThrownBy(() -> Schedule.every(Duration.ofMinutes(-1)))
        .hasMessageContaining("every interval must be positive, got PT-1M");
    assertThatThrownBy(() -> Schedule.every(Duration.ofNanos(1_500_000)))
        .hasMessageContaining("every interval PT0.0015S is not a whole number of milliseconds");
    assertThatThrownBy(
            () ->
                Schedule.every(Duration.ofSeconds(1), Instant.parse("2024-01-01T00:00:00.000001Z")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(
            "every anchor 2024-01-01T00:00:00.000001Z is not a whole number of milliseconds")
        .hasMessageContaining("anchor.truncatedTo(ChronoUnit.MILLIS)");
    assertThatThrownBy(() -> Schedule.daily(LocalTime.NOON, UTC).occurrences(Instant.EPOCH, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("occurrences needs n >= 0, got -1");
  }

  @Test
  void repeat_types_other_than_daily_weekly_and_monthly_are_rejected() {
    ZonedDateTime first = ZonedDateTime.parse("2024-02-15T10:00:00Z[UTC]");
    assertThatThrownBy(() -> Schedule.repeating("none", first))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("repeat type 'none' is not valid: use daily, weekly or monthly");
    assertThatThrownBy(() -> Schedule.repeating("yearly", first))
        .hasMessageContaining("repeat type 'yearly' is not valid");
    assertThatThrownBy(() -> Schedule.repeating("daily", first.withNano(1)))
        .hasMessageContaining("fraction of a second");
  }

  @Test
  void null_arguments_throw_null_pointer_exceptions_naming_the_argument() {
    assertThatThrownBy(() -> Schedule.cron(null, UTC))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("expression");
    assertThatThrownBy(() -> Schedule.cron("* * * * *", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("zone");
    assertThatThrownBy(() -> Schedule.daily(null, UTC))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("time");
    assertThatThrownBy(() -> Schedule.weekly(null, LocalTime.NOON, UTC))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("day");
    assertThatThrownBy(() -> Schedule.every(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("interval");
    assertThatThrownBy(() -> Schedule.parse(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("text");
    assertThatThrownBy(() -> Schedule.every(Duration.ofSeconds(1)).next(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("after");
  }
}
