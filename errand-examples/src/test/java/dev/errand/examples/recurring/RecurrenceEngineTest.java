package dev.errand.examples.recurring;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

/** 003's "Recurrence Engine" and "Validation Rules" examples, one test each. */
class RecurrenceEngineTest {
  private static final ZoneId UTC = ZoneId.of("UTC");
  private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

  private static List<Instant> next3(String repeatType, String firstDueUtc) {
    LocalDateTime first = LocalDateTime.parse(firstDueUtc);
    return RecurrenceEngine.nextOccurrences(
        RecurrenceEngine.schedule(repeatType, first, UTC), first.atZone(UTC).toInstant());
  }

  private static List<Instant> utc(String... instants) {
    return java.util.Arrays.stream(instants).map(Instant::parse).toList();
  }

  @Test
  void daily_adds_one_day_to_the_base_date() {
    assertThat(next3("daily", "2024-02-01T09:00"))
        .isEqualTo(utc("2024-02-02T09:00:00Z", "2024-02-03T09:00:00Z", "2024-02-04T09:00:00Z"));
  }

  @Test
  void weekly_adds_seven_days_to_the_base_date() {
    assertThat(next3("weekly", "2024-02-01T10:00").subList(0, 2))
        .isEqualTo(utc("2024-02-08T10:00:00Z", "2024-02-15T10:00:00Z"));
  }

  @Test
  void monthly_keeps_the_day_of_month() {
    assertThat(next3("monthly", "2024-01-15T10:00").subList(0, 2))
        .isEqualTo(utc("2024-02-15T10:00:00Z", "2024-03-15T10:00:00Z"));
  }

  @Test
  void monthly_from_january_31st_in_a_leap_year_goes_to_february_29th_then_march_31st() {
    assertThat(next3("monthly", "2024-01-31T10:00").subList(0, 2))
        .isEqualTo(utc("2024-02-29T10:00:00Z", "2024-03-31T10:00:00Z"));
  }

  @Test
  void monthly_from_january_31st_in_a_common_year_goes_to_february_28th_then_march_31st() {
    assertThat(next3("monthly", "2023-01-31T10:00").subList(0, 2))
        .isEqualTo(utc("2023-02-28T10:00:00Z", "2023-03-31T10:00:00Z"));
  }

  @Test
  void calculate_next_occurrence_of_january_31st_is_the_last_day_of_february() {
    ZonedDateTime jan31 = ZonedDateTime.parse("2024-01-31T10:00:00Z");
    assertThat(RecurrenceEngine.calculateNextOccurrence(jan31, "monthly"))
        .isEqualTo(Instant.parse("2024-02-29T10:00:00Z"));
    ZonedDateTime jan31NonLeap = ZonedDateTime.parse("2023-01-31T10:00:00Z");
    assertThat(RecurrenceEngine.calculateNextOccurrence(jan31NonLeap, "monthly"))
        .isEqualTo(Instant.parse("2023-02-28T10:00:00Z"));
  }

  @Test
  void spring_forward_keeps_the_wall_clock_time_of_two_o_clock() {
    LocalDateTime first = LocalDateTime.parse("2024-03-10T02:00");
    TaskInput in = new TaskInput("t", "2024-03-10T02:00:00", "monthly", null, "America/New_York");
    Instant due = in.dueInstant(NEW_YORK);
    // 02:00 does not exist on 2024-03-10 in New York: that occurrence is due when the clocks jump
    assertThat(due.atZone(NEW_YORK).toLocalDateTime())
        .isEqualTo(LocalDateTime.parse("2024-03-10T03:00"));
    Instant next =
        RecurrenceEngine.nextOccurrences(RecurrenceEngine.schedule("monthly", first, NEW_YORK), due)
            .get(0);
    assertThat(next.atZone(NEW_YORK).toLocalDateTime())
        .isEqualTo(LocalDateTime.parse("2024-04-10T02:00"));
  }

  @Test
  void fall_back_keeps_the_wall_clock_time_of_two_o_clock() {
    ZonedDateTime first = LocalDateTime.parse("2024-11-03T02:00").atZone(NEW_YORK);
    Instant next = RecurrenceEngine.calculateNextOccurrence(first, "monthly");
    assertThat(next.atZone(NEW_YORK).toLocalDateTime())
        .isEqualTo(LocalDateTime.parse("2024-12-03T02:00"));
  }

  @Test
  void sub_tasks_cannot_be_recurring() {
    Instant now = Instant.parse("2024-02-01T10:00:00Z");
    assertThat(RecurrenceEngine.validate("daily", 7L, now, now))
        .containsExactly("Sub-tasks cannot have recurring patterns");
    assertThat(RecurrenceEngine.validate("none", 7L, now, now)).isEmpty();
  }

  @Test
  void a_due_date_more_than_one_day_in_the_past_is_rejected() {
    Instant now = Instant.parse("2024-02-01T10:00:00Z");
    assertThat(RecurrenceEngine.validate("daily", null, Instant.parse("2024-01-31T09:59:59Z"), now))
        .containsExactly("Due date should not be more than 1 day in the past");
    assertThat(RecurrenceEngine.validate("daily", null, Instant.parse("2024-01-31T10:00:00Z"), now))
        .isEmpty();
  }

  @Test
  void only_none_daily_weekly_and_monthly_are_repeat_types() {
    Instant now = Instant.parse("2024-02-01T10:00:00Z");
    for (String valid : List.of("none", "daily", "weekly", "monthly")) {
      assertThat(RecurrenceEngine.validate(valid, null, now, now)).as(valid).isEmpty();
    }
    assertThat(RecurrenceEngine.validate("hourly", null, now, now))
        .containsExactly("Invalid repeat type: hourly");
    assertThat(RecurrenceEngine.validate("Daily", null, now, now))
        .containsExactly("Invalid repeat type: Daily");
  }
}
