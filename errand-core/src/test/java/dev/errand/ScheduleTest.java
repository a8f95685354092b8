package dev.errand;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.TimeZone;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Table-driven recurrence: every example of the task-recurrence document (003) and the DST rules in
 * America/New_York, Europe/London and Australia/Lord_Howe (whose DST shift is 30 minutes), for
 * daily, weekly, monthly and cron (5 and 6 fields). Pure function calls: no clock, no sleeping.
 *
 * <p>Each row: the schedule's text form | the instant to start after | the fire times expected
 * next, in order, written with their UTC offset so the row shows which side of a DST change each
 * one falls on.
 */
class ScheduleTest {
  private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

  @ParameterizedTest(name = "{0} after {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      # daily: add one day, keeping the wall-clock time
      daily:10:00@UTC                      | 2024-02-01T10:00Z       | 2024-02-02T10:00Z 2024-02-03T10:00Z
      # weekly: add seven days
      weekly:THURSDAY 10:00@UTC            | 2024-02-01T10:00Z       | 2024-02-08T10:00Z 2024-02-15T10:00Z
      # "Weekly Review" completed 2024-02-01: 02-08 and 02-15 remain, 02-22 is the new third
      weekly:THURSDAY 10:00@UTC            | 2024-02-01T10:00Z       | 2024-02-08T10:00Z 2024-02-15T10:00Z 2024-02-22T10:00Z
      # "Monthly Report": the three instances its deletion cascades to
      monthly:1 10:00@UTC                  | 2024-02-15T00:00Z       | 2024-03-01T10:00Z 2024-04-01T10:00Z 2024-05-01T10:00Z
      # monthly: add one month, keeping the anchor day; a shorter month uses its last day
      monthly:15 10:00@UTC                 | 2024-01-15T10:00Z       | 2024-02-15T10:00Z 2024-03-15T10:00Z
      monthly:31 10:00@UTC                 | 2024-01-31T10:00Z       | 2024-02-29T10:00Z 2024-03-31T10:00Z 2024-04-30T10:00Z 2024-05-31T10:00Z
      monthly:31 10:00@UTC                 | 2023-01-31T10:00Z       | 2023-02-28T10:00Z 2023-03-31T10:00Z
      monthly:30 10:00@UTC                 | 2023-01-30T10:00Z       | 2023-02-28T10:00Z 2023-03-30T10:00Z
      monthly:29 10:00@UTC                 | 2100-01-29T10:00Z       | 2100-02-28T10:00Z 2100-03-29T10:00Z
      # DST in America/New_York: spring forward 2024-03-10 02:00 -> 2024-04-10 02:00 (02:00 does not
      # exist on 2024-03-10, so it fires at the end of the gap, 03:00 EDT) ...
      monthly:10 02:00@America/New_York    | 2024-02-15T00:00-05:00  | 2024-03-10T03:00-04:00 2024-04-10T02:00-04:00
      # ... and fall back 2024-11-03 02:00 -> 2024-12-03 02:00
      monthly:3 02:00@America/New_York     | 2024-10-15T00:00-04:00  | 2024-11-03T02:00-05:00 2024-12-03T02:00-05:00
      """)
  void examples_of_the_recurrence_document(String schedule, String after, String expected) {
    assertOccurrences(schedule, after, expected);
  }

  @Test
  void repeat_types_of_the_recurrence_document_add_a_day_a_week_or_a_month() {
    ZonedDateTime feb1 = ZonedDateTime.parse("2024-02-01T10:00:00Z[UTC]");
    assertThat(Schedule.repeating("daily", feb1).occurrences(feb1.toInstant(), 2))
        .containsExactly(instant("2024-02-02T10:00Z"), instant("2024-02-03T10:00Z"));
    assertThat(Schedule.repeating("weekly", feb1).occurrences(feb1.toInstant(), 2))
        .containsExactly(instant("2024-02-08T10:00Z"), instant("2024-02-15T10:00Z"));
    ZonedDateTime jan15 = ZonedDateTime.parse("2024-01-15T10:00:00Z[UTC]");
    assertThat(Schedule.repeating("monthly", jan15).occurrences(jan15.toInstant(), 2))
        .containsExactly(instant("2024-02-15T10:00Z"), instant("2024-03-15T10:00Z"));
    ZonedDateTime jan31 = ZonedDateTime.parse("2024-01-31T10:00:00Z[UTC]");
    assertThat(Schedule.repeating("Monthly", jan31).occurrences(jan31.toInstant(), 2))
        .containsExactly(instant("2024-02-29T10:00Z"), instant("2024-03-31T10:00Z"));
    ZonedDateTime jan31NonLeap = ZonedDateTime.parse("2023-01-31T10:00:00Z[UTC]");
    assertThat(Schedule.repeating("MONTHLY", jan31NonLeap).occurrences(jan31NonLeap.toInstant(), 2))
        .containsExactly(instant("2023-02-28T10:00Z"), instant("2023-03-31T10:00Z"));
    ZonedDateTime fallBack = ZonedDateTime.parse("2024-11-03T02:00:00-05:00[America/New_York]");
    assertThat(Schedule.repeating("monthly", fallBack).occurrences(fallBack.toInstant(), 1))
        .containsExactly(instant("2024-12-03T02:00-05:00"));
    assertThat(Schedule.repeating("monthly", fallBack))
        .isEqualTo(Schedule.monthly(3, LocalTime.of(2, 0), NEW_YORK));
  }

  @ParameterizedTest(name = "{0} after {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      # spring forward 2024-03-10: 02:00 EST -> 03:00 EDT, so 02:00-02:59 does not exist
      daily:02:30@America/New_York               | 2024-03-09T12:00-05:00 | 2024-03-10T03:00-04:00 2024-03-11T02:30-04:00
      daily:02:30@America/New_York               | 2024-03-10T01:59-05:00 | 2024-03-10T03:00-04:00
      daily:02:30@America/New_York               | 2024-03-10T03:00-04:00 | 2024-03-11T02:30-04:00
      daily:02:00@America/New_York               | 2024-03-09T12:00-05:00 | 2024-03-10T03:00-04:00 2024-03-11T02:00-04:00
      daily:03:00@America/New_York               | 2024-03-09T12:00-05:00 | 2024-03-10T03:00-04:00 2024-03-11T03:00-04:00
      daily:01:59:59@America/New_York            | 2024-03-09T12:00-05:00 | 2024-03-10T01:59:59-05:00 2024-03-11T01:59:59-04:00
      weekly:SUNDAY 02:30@America/New_York       | 2024-03-03T12:00-05:00 | 2024-03-10T03:00-04:00 2024-03-17T02:30-04:00
      monthly:10 02:30@America/New_York          | 2024-02-10T12:00-05:00 | 2024-03-10T03:00-04:00 2024-04-10T02:30-04:00
      cron:30 2 * * *@America/New_York           | 2024-03-09T12:00-05:00 | 2024-03-10T03:00-04:00 2024-03-11T02:30-04:00
      cron:0 30 2 * * *@America/New_York         | 2024-03-09T12:00-05:00 | 2024-03-10T03:00-04:00 2024-03-11T02:30-04:00
      # every local time in the gap collapses into the one fire at its end
      cron:*/30 * * * *@America/New_York         | 2024-03-10T01:00-05:00 | 2024-03-10T01:30-05:00 2024-03-10T03:00-04:00 2024-03-10T03:30-04:00
      cron:0 */20 2 * * *@America/New_York       | 2024-03-10T01:00-05:00 | 2024-03-10T03:00-04:00 2024-03-11T02:00-04:00 2024-03-11T02:20-04:00
      # fall back 2024-11-03: 02:00 EDT -> 01:00 EST, so 01:00-01:59 happens twice; the first counts
      daily:01:30@America/New_York               | 2024-11-02T12:00-04:00 | 2024-11-03T01:30-04:00 2024-11-04T01:30-05:00
      daily:01:30@America/New_York               | 2024-11-03T01:30-04:00 | 2024-11-04T01:30-05:00
      daily:01:30@America/New_York               | 2024-11-03T01:45-04:00 | 2024-11-04T01:30-05:00
      daily:01:30@America/New_York               | 2024-11-03T01:15-05:00 | 2024-11-04T01:30-05:00
      daily:01:00@America/New_York               | 2024-11-03T01:00-05:00 | 2024-11-04T01:00-05:00
      daily:02:30@America/New_York               | 2024-11-02T12:00-04:00 | 2024-11-03T02:30-05:00 2024-11-04T02:30-05:00
      weekly:SUNDAY 01:30@America/New_York       | 2024-10-27T12:00-04:00 | 2024-11-03T01:30-04:00 2024-11-10T01:30-05:00
      monthly:3 01:30@America/New_York           | 2024-10-15T00:00-04:00 | 2024-11-03T01:30-04:00 2024-12-03T01:30-05:00
      cron:30 1 * * *@America/New_York           | 2024-11-02T12:00-04:00 | 2024-11-03T01:30-04:00 2024-11-04T01:30-05:00
      cron:30 1 * * *@America/New_York           | 2024-11-03T01:15-05:00 | 2024-11-04T01:30-05:00
      cron:15 30 1 * * *@America/New_York        | 2024-11-03T01:00-05:00 | 2024-11-04T01:30:15-05:00
      cron:*/30 * * * *@America/New_York         | 2024-11-03T00:45-04:00 | 2024-11-03T01:00-04:00 2024-11-03T01:30-04:00 2024-11-03T02:00-05:00
      cron:*/30 * * * *@America/New_York         | 2024-11-03T01:10-05:00 | 2024-11-03T02:00-05:00
      cron:0 0 * * * *@America/New_York          | 2024-11-03T00:30-04:00 | 2024-11-03T01:00-04:00 2024-11-03T02:00-05:00
      # a cron every second runs through the first pass, then waits for 02:00 EST: each wall-clock time once
      cron:* * * * * *@America/New_York          | 2024-11-03T01:59:58-04:00 | 2024-11-03T01:59:59-04:00 2024-11-03T02:00-05:00 2024-11-03T02:00:01-05:00
      cron:* * * * * *@America/New_York          | 2024-11-03T01:00:30-05:00 | 2024-11-03T02:00-05:00 2024-11-03T02:00:01-05:00
      """)
  void dst_rules_hold_in_new_york(String schedule, String after, String expected) {
    assertOccurrences(schedule, after, expected);
  }

  @ParameterizedTest(name = "{0} after {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      # spring forward 2024-03-31: 01:00 GMT -> 02:00 BST, so 01:00-01:59 does not exist
      daily:01:30@Europe/London                  | 2024-03-30T12:00Z      | 2024-03-31T02:00+01:00 2024-04-01T01:30+01:00
      daily:01:00@Europe/London                  | 2024-03-30T12:00Z      | 2024-03-31T02:00+01:00 2024-04-01T01:00+01:00
      weekly:SUN 01:30@Europe/London             | 2024-03-24T12:00Z      | 2024-03-31T02:00+01:00 2024-04-07T01:30+01:00
      monthly:31 01:30@Europe/London             | 2024-03-01T00:00Z      | 2024-03-31T02:00+01:00 2024-04-30T01:30+01:00 2024-05-31T01:30+01:00
      cron:30 1 * * *@Europe/London              | 2024-03-30T12:00Z      | 2024-03-31T02:00+01:00 2024-04-01T01:30+01:00
      cron:0 0 1 * * *@Europe/London             | 2024-03-30T12:00Z      | 2024-03-31T02:00+01:00 2024-04-01T01:00+01:00
      # fall back 2024-10-27: 02:00 BST -> 01:00 GMT, so 01:00-01:59 happens twice
      daily:01:30@Europe/London                  | 2024-10-26T12:00+01:00 | 2024-10-27T01:30+01:00 2024-10-28T01:30Z
      daily:01:30@Europe/London                  | 2024-10-27T01:10Z      | 2024-10-28T01:30Z
      weekly:SUNDAY 01:30@Europe/London          | 2024-10-20T12:00+01:00 | 2024-10-27T01:30+01:00 2024-11-03T01:30Z
      monthly:27 01:30@Europe/London             | 2024-10-01T00:00+01:00 | 2024-10-27T01:30+01:00 2024-11-27T01:30Z
      cron:30 1 * * *@Europe/London              | 2024-10-26T12:00+01:00 | 2024-10-27T01:30+01:00 2024-10-28T01:30Z
      cron:30 1 * * *@Europe/London              | 2024-10-27T01:20Z      | 2024-10-28T01:30Z
      cron:0 30 1 * * *@Europe/London            | 2024-10-27T01:20Z      | 2024-10-28T01:30Z
      cron:*/20 1 * * *@Europe/London            | 2024-10-27T00:50+01:00 | 2024-10-27T01:00+01:00 2024-10-27T01:20+01:00 2024-10-27T01:40+01:00 2024-10-28T01:00Z
      """)
  void dst_rules_hold_in_london(String schedule, String after, String expected) {
    assertOccurrences(schedule, after, expected);
  }

  @ParameterizedTest(name = "{0} after {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      # spring forward 2024-10-06: 02:00 (+10:30) -> 02:30 (+11:00), a gap of 30 minutes
      daily:02:15@Australia/Lord_Howe            | 2024-10-05T12:00+10:30 | 2024-10-06T02:30+11:00 2024-10-07T02:15+11:00
      daily:02:30@Australia/Lord_Howe            | 2024-10-05T12:00+10:30 | 2024-10-06T02:30+11:00 2024-10-07T02:30+11:00
      daily:02:45@Australia/Lord_Howe            | 2024-10-05T12:00+10:30 | 2024-10-06T02:45+11:00 2024-10-07T02:45+11:00
      weekly:SUNDAY 02:15@Australia/Lord_Howe    | 2024-09-29T12:00+10:30 | 2024-10-06T02:30+11:00 2024-10-13T02:15+11:00
      monthly:6 02:15@Australia/Lord_Howe        | 2024-09-15T00:00+10:30 | 2024-10-06T02:30+11:00 2024-11-06T02:15+11:00
      cron:15 2 * * *@Australia/Lord_Howe        | 2024-10-05T12:00+10:30 | 2024-10-06T02:30+11:00 2024-10-07T02:15+11:00
      cron:0 15 2 * * *@Australia/Lord_Howe      | 2024-10-05T12:00+10:30 | 2024-10-06T02:30+11:00 2024-10-07T02:15+11:00
      cron:*/10 2 * * *@Australia/Lord_Howe      | 2024-10-06T01:55+10:30 | 2024-10-06T02:30+11:00 2024-10-06T02:40+11:00 2024-10-06T02:50+11:00
      # fall back 2024-04-07: 02:00 (+11:00) -> 01:30 (+10:30), so 01:30-01:59 happens twice
      daily:01:45@Australia/Lord_Howe            | 2024-04-06T12:00+11:00 | 2024-04-07T01:45+11:00 2024-04-08T01:45+10:30
      daily:01:45@Australia/Lord_Howe            | 2024-04-07T01:35+10:30 | 2024-04-08T01:45+10:30
      daily:01:30@Australia/Lord_Howe            | 2024-04-07T01:30+10:30 | 2024-04-08T01:30+10:30
      weekly:SUNDAY 01:45@Australia/Lord_Howe    | 2024-03-31T12:00+11:00 | 2024-04-07T01:45+11:00 2024-04-14T01:45+10:30
      monthly:7 01:45@Australia/Lord_Howe        | 2024-03-15T00:00+11:00 | 2024-04-07T01:45+11:00 2024-05-07T01:45+10:30
      cron:45 1 * * *@Australia/Lord_Howe        | 2024-04-07T01:35+10:30 | 2024-04-08T01:45+10:30
      cron:0 45 1 * * *@Australia/Lord_Howe      | 2024-04-06T12:00+11:00 | 2024-04-07T01:45+11:00 2024-04-08T01:45+10:30
      cron:*/15 * * * *@Australia/Lord_Howe      | 2024-04-07T01:20+11:00 | 2024-04-07T01:30+11:00 2024-04-07T01:45+11:00 2024-04-07T02:00+10:30
      """)
  void dst_rules_hold_on_lord_howe_island_whose_shift_is_thirty_minutes(
      String schedule, String after, String expected) {
    assertOccurrences(schedule, after, expected);
  }

  @ParameterizedTest(name = "{0} after {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      # unrestricted fields, ranges, lists, steps and names, 5 fields and 6
      cron:*/5 * * * *@UTC                       | 2024-01-01T00:02Z        | 2024-01-01T00:05Z 2024-01-01T00:10Z
      cron:* * * * *@UTC                         | 2024-01-01T00:00:00.5Z   | 2024-01-01T00:01Z 2024-01-01T00:02Z
      cron:*/20 * * * * *@UTC                    | 2024-01-01T00:00:00.5Z   | 2024-01-01T00:00:20Z 2024-01-01T00:00:40Z 2024-01-01T00:01Z
      cron:* * * * * *@UTC                       | 2024-01-01T00:00:00.5Z   | 2024-01-01T00:00:01Z 2024-01-01T00:00:02Z
      cron:0 9-17/4 * * MON-FRI@UTC              | 2024-01-05T12:00Z        | 2024-01-05T13:00Z 2024-01-05T17:00Z 2024-01-08T09:00Z
      cron:0 0 1 JAN,jul *@UTC                   | 2024-01-01T00:00Z        | 2024-07-01T00:00Z 2025-01-01T00:00Z
      cron:0 0 * * 7@UTC                         | 2024-01-01T00:00Z        | 2024-01-07T00:00Z 2024-01-14T00:00Z
      cron:0 0 * * 0@UTC                         | 2024-01-01T00:00Z        | 2024-01-07T00:00Z 2024-01-14T00:00Z
      cron:0 0 29 2 *@UTC                        | 2024-03-01T00:00Z        | 2028-02-29T00:00Z
      # day of month and day of week both restricted: either matches, as in Unix cron
      cron:0 0 13 * FRI@UTC                      | 2024-01-01T00:00Z        | 2024-01-05T00:00Z 2024-01-12T00:00Z 2024-01-13T00:00Z 2024-01-19T00:00Z
      # a zone without DST, and a fixed offset
      cron:30 5 * * *@Asia/Kolkata               | 2023-12-31T12:00Z        | 2024-01-01T05:30+05:30 2024-01-02T05:30+05:30
      daily:05:30@+05:30                         | 2023-12-31T12:00Z        | 2024-01-01T05:30+05:30 2024-01-02T05:30+05:30
      # a day that never happened: Samoa skipped 2011-12-30, so its fires move to the end of the gap
      daily:10:00@Pacific/Apia                   | 2011-12-29T12:00-10:00   | 2011-12-31T00:00+14:00 2011-12-31T10:00+14:00 2012-01-01T10:00+14:00
      """)
  void cron_follows_unix_cron(String schedule, String after, String expected) {
    assertOccurrences(schedule, after, expected);
  }

  @ParameterizedTest(name = "{0} after {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      every:PT30S                                | 2024-01-01T00:00:10Z     | 2024-01-01T00:00:30Z 2024-01-01T00:01Z
      every:PT30S                                | 2024-01-01T00:00:30Z     | 2024-01-01T00:01Z
      every:PT1H                                 | 2024-03-10T06:30Z        | 2024-03-10T07:00Z 2024-03-10T08:00Z
      every:PT0.25S                              | 2024-01-01T00:00:00.3Z   | 2024-01-01T00:00:00.5Z 2024-01-01T00:00:00.75Z
      every:PT7M                                 | 1970-01-01T00:00Z        | 1970-01-01T00:07Z 1970-01-01T00:14Z
      every:PT7M                                 | 1969-12-31T23:50Z        | 1969-12-31T23:53Z 1970-01-01T00:00Z
      every:PT1H from 2024-01-01T00:15:00Z       | 2023-06-01T10:20Z        | 2023-06-01T11:15Z 2023-06-01T12:15Z
      every:PT1H from 2024-01-01T00:15:00Z       | 2024-01-01T00:14:59.999Z | 2024-01-01T00:15Z 2024-01-01T01:15Z
      # elapsed time, not wall clock: across a DST change the New York hour of day moves
      every:P1D from 2024-03-09T07:00:00Z        | 2024-03-09T07:00Z        | 2024-03-10T03:00-04:00 2024-03-11T03:00-04:00
      """)
  void every_counts_elapsed_time_from_its_anchor(String schedule, String after, String expected) {
    assertOccurrences(schedule, after, expected);
  }

  @Test
  void every_anchored_at_the_epoch_gives_every_node_the_same_fire_times() {
    Schedule a = Schedule.every(Duration.ofSeconds(1));
    Schedule b = Schedule.parse("every:PT1S");
    Instant after = Instant.parse("2024-05-05T12:00:00.123456789Z");
    assertThat(a.next(after))
        .isEqualTo(b.next(after))
        .isEqualTo(Instant.parse("2024-05-05T12:00:01Z"));
    assertThat(a).isEqualTo(Schedule.every(Duration.ofSeconds(1), Instant.EPOCH)).isEqualTo(b);
    assertThat(a.zone()).isEqualTo(ZoneOffset.UTC);
  }

  @Test
  void next_is_the_same_whatever_the_default_zone_of_the_jvm() {
    Schedule s = Schedule.daily(LocalTime.of(2, 30), NEW_YORK);
    Instant after = instant("2024-03-09T12:00-05:00");
    TimeZone saved = TimeZone.getDefault();
    try {
      TimeZone.setDefault(TimeZone.getTimeZone("Australia/Lord_Howe"));
      assertThat(s.next(after)).isEqualTo(instant("2024-03-10T03:00-04:00"));
      assertThat(Schedule.cron("30 2 * * *", NEW_YORK).next(after))
          .isEqualTo(instant("2024-03-10T03:00-04:00"));
    } finally {
      TimeZone.setDefault(saved);
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      cron:*/5 * * * *@Europe/London             | cron:*/5 * * * *@Europe/London
      CRON :  */5   *  * * *  @ Europe/London    | cron:*/5 * * * *@Europe/London
      cron:0 30 2 * * mon-fri@UTC                | cron:0 30 2 * * mon-fri@UTC
      daily:02:00@Europe/London                  | daily:02:00@Europe/London
      Daily:2:00@Europe/London                   | daily:02:00@Europe/London
      daily:23:59:30@Asia/Kolkata                | daily:23:59:30@Asia/Kolkata
      daily:02:00:00@UTC                         | daily:02:00@UTC
      weekly:SUNDAY 03:00@UTC                    | weekly:SUNDAY 03:00@UTC
      weekly:sun 3:00@UTC                        | weekly:SUNDAY 03:00@UTC
      monthly:31 10:00@America/New_York          | monthly:31 10:00@America/New_York
      monthly:07 09:05:30@Australia/Lord_Howe    | monthly:7 09:05:30@Australia/Lord_Howe
      daily:02:00@+05:30                         | daily:02:00@+05:30
      daily:02:00@Z                              | daily:02:00@Z
      every:PT30S                                | every:PT30S
      every:P1D                                  | every:PT24H
      every:PT1H from 2024-01-01T00:15:00Z       | every:PT1H from 2024-01-01T00:15:00Z
      every:PT1H FROM 2024-01-01T00:15:00.250Z   | every:PT1H from 2024-01-01T00:15:00.250Z
      every:PT1H from 1970-01-01T00:00:00Z       | every:PT1H
      """)
  void text_form_reads_leniently_and_writes_one_canonical_form(String text, String canonical) {
    Schedule s = Schedule.parse(text);
    assertThat(s.toString()).isEqualTo(canonical);
    assertThat(Schedule.parse(s.toString())).isEqualTo(s).hasSameHashCodeAs(s);
  }

  @Test
  void text_form_equals_the_factories() {
    ZoneId london = ZoneId.of("Europe/London");
    assertThat(Schedule.parse("cron:*/5 * * * *@Europe/London"))
        .isEqualTo(Schedule.cron("*/5 * * * *", london));
    assertThat(Schedule.parse("daily:02:00@Europe/London"))
        .isEqualTo(Schedule.daily(LocalTime.of(2, 0), london));
    assertThat(Schedule.parse("weekly:SUNDAY 03:00@UTC"))
        .isEqualTo(Schedule.weekly(DayOfWeek.SUNDAY, LocalTime.of(3, 0), ZoneId.of("UTC")));
    assertThat(Schedule.parse("monthly:31 10:00@America/New_York"))
        .isEqualTo(Schedule.monthly(31, LocalTime.of(10, 0), NEW_YORK));
    assertThat(Schedule.parse("every:PT30S")).isEqualTo(Schedule.every(Duration.ofSeconds(30)));
    assertThat(Schedule.parse("every:PT1H from 2024-01-01T00:15:00Z"))
        .isEqualTo(Schedule.every(Duration.ofHours(1), Instant.parse("2024-01-01T00:15:00Z")));
    assertThat(Schedule.daily(LocalTime.of(2, 0), london))
        .isNotEqualTo(Schedule.daily(LocalTime.of(2, 0), NEW_YORK))
        .isNotEqualTo(Schedule.cron("0 2 * * *", london));
  }

  @Test
  void kind_and_zone_are_reported() {
    assertThat(Schedule.parse("cron:0 2 * * *@Europe/London").kind()).isEqualTo(Schedule.Kind.CRON);
    assertThat(Schedule.parse("daily:02:00@UTC").kind()).isEqualTo(Schedule.Kind.DAILY);
    assertThat(Schedule.parse("weekly:MON 02:00@UTC").kind()).isEqualTo(Schedule.Kind.WEEKLY);
    assertThat(Schedule.parse("monthly:1 02:00@UTC").kind()).isEqualTo(Schedule.Kind.MONTHLY);
    assertThat(Schedule.parse("every:PT1M").kind()).isEqualTo(Schedule.Kind.EVERY);
    assertThat(Schedule.parse("daily:02:00@Australia/Lord_Howe").zone())
        .isEqualTo(ZoneId.of("Australia/Lord_Howe"));
  }

  @Test
  void occurrences_are_next_applied_repeatedly_and_immutable() {
    Schedule s = Schedule.parse("cron:0 0 13 * FRI@UTC");
    Instant after = instant("2024-01-01T00:00Z");
    List<Instant> four = s.occurrences(after, 4);
    assertThat(four).hasSize(4);
    assertThat(four.get(0)).isEqualTo(s.next(after));
    assertThat(four.get(3)).isEqualTo(s.next(s.next(s.next(s.next(after)))));
    assertThat(s.occurrences(after, 0)).isEmpty();
    assertThatThrownBy(() -> four.add(after)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void a_fire_time_beyond_the_range_of_java_time_is_a_date_time_exception() {
    assertThatThrownBy(() -> Schedule.every(Duration.ofMillis(1)).next(Instant.MAX))
        .isInstanceOf(DateTimeException.class);
    assertThatThrownBy(() -> Schedule.daily(LocalTime.NOON, NEW_YORK).next(Instant.MAX))
        .isInstanceOf(DateTimeException.class);
  }

  private static void assertOccurrences(String schedule, String after, String expected) {
    List<Instant> want =
        Arrays.stream(expected.trim().split("\\s+"))
            .map(ScheduleTest::instant)
            .collect(Collectors.toList());
    Schedule s = Schedule.parse(schedule);
    assertThat(s.occurrences(instant(after), want.size()))
        .as(
            "%s after %s, shown in its zone: %s",
            schedule,
            after,
            s.occurrences(instant(after), want.size()).stream()
                .map(i -> i.atZone(s.zone()).toOffsetDateTime().toString())
                .collect(Collectors.joining(" ")))
        .isEqualTo(want);
  }

  static Instant instant(String offsetDateTime) {
    return OffsetDateTime.parse(offsetDateTime).toInstant();
  }
}
