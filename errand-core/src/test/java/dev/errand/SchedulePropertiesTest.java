package dev.errand;

import static org.assertj.core.api.Assertions.assertThat;

import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * Properties of every schedule, over generated kinds, times and zones (three with DST, one of them
 * with a 30-minute shift, one that once moved DST at midnight, and two without DST) and instants
 * from 2010 to 2040, two thirds of them near a DST change.
 */
class SchedulePropertiesTest {
  static final List<ZoneId> ZONES =
      List.of(
          ZoneId.of("America/New_York"),
          ZoneId.of("Europe/London"),
          ZoneId.of("Australia/Lord_Howe"),
          ZoneId.of("America/Sao_Paulo"),
          ZoneId.of("UTC"),
          ZoneId.of("Asia/Kolkata"));
  private static final Instant FROM = Instant.parse("2010-01-01T00:00:00Z");
  private static final Instant TO = Instant.parse("2040-01-01T00:00:00Z");
  private static final List<Instant> TRANSITIONS = transitions();

  @Property
  void next_is_strictly_after_its_argument(
      @ForAll("schedules") Schedule s, @ForAll("instants") Instant t) {
    assertThat(s.next(t)).isAfter(t);
  }

  @Property
  void occurrences_strictly_increase(
      @ForAll("schedules") Schedule s, @ForAll("instants") Instant t) {
    List<Instant> six = s.occurrences(t, 6);
    assertThat(six.get(0)).isEqualTo(s.next(t));
    for (int i = 1; i < six.size(); i++) {
      assertThat(six.get(i)).isAfter(six.get(i - 1));
    }
  }

  /** Nodes that start looking from different instants agree on the fire times: none is skipped. */
  @Property
  void next_is_the_same_from_any_instant_before_it(
      @ForAll("schedules") Schedule s,
      @ForAll("instants") Instant t,
      @ForAll @DoubleRange(min = 0, max = 1, maxIncluded = false) double fraction) {
    Instant next = s.next(t);
    long nanos = ChronoUnit.NANOS.between(t, next);
    Instant between = t.plusNanos((long) (nanos * fraction));
    assertThat(s.next(between)).isEqualTo(next);
    assertThat(s.next(next.minusNanos(1))).isEqualTo(next);
  }

  @Property
  void text_form_round_trips(@ForAll("schedules") Schedule s) {
    Schedule parsed = Schedule.parse(s.toString());
    assertThat(parsed).isEqualTo(s).hasSameHashCodeAs(s);
    assertThat(parsed.toString()).isEqualTo(s.toString());
  }

  /**
   * Monthly fires once in every month, on the anchor day if the month has it and on its last day if
   * not, at the wall-clock time, unless that time does not exist that day: then at the gap's end.
   */
  @Property
  void monthly_never_drifts_off_its_anchor_day(
      @ForAll @IntRange(min = 1, max = 31) int day,
      @ForAll("times") LocalTime time,
      @ForAll("zones") ZoneId zone,
      @ForAll("instants") Instant t) {
    List<Instant> fires = Schedule.monthly(day, time, zone).occurrences(t, 14);
    YearMonth month = null;
    for (Instant fire : fires) {
      ZonedDateTime local = fire.atZone(zone);
      YearMonth m = YearMonth.from(local);
      if (month != null) {
        assertThat(m).isEqualTo(month.plusMonths(1));
      }
      month = m;
      LocalDate expectedDate = m.atDay(Math.min(day, m.lengthOfMonth()));
      assertFiresAtWallClockOrGapEnd(fire, expectedDate.atTime(time), zone);
    }
  }

  /** Daily fires on every day at the same wall-clock time, except at a gap's end on a gap day. */
  @Property
  void daily_keeps_its_wall_clock_time_except_on_the_gap_day(
      @ForAll("times") LocalTime time,
      @ForAll("zones") ZoneId zone,
      @ForAll("instants") Instant t) {
    List<Instant> fires = Schedule.daily(time, zone).occurrences(t, 10);
    LocalDate date = null;
    for (Instant fire : fires) {
      LocalDate d = fire.atZone(zone).toLocalDate();
      if (date != null) {
        assertThat(d).isEqualTo(date.plusDays(1));
      }
      date = d;
      assertFiresAtWallClockOrGapEnd(fire, d.atTime(time), zone);
    }
  }

  @Property
  void weekly_fires_on_its_day_every_seven_days(
      @ForAll DayOfWeek day,
      @ForAll("times") LocalTime time,
      @ForAll("zones") ZoneId zone,
      @ForAll("instants") Instant t) {
    List<Instant> fires = Schedule.weekly(day, time, zone).occurrences(t, 6);
    LocalDate date = null;
    for (Instant fire : fires) {
      LocalDate d = fire.atZone(zone).toLocalDate();
      assertThat(d.getDayOfWeek()).isEqualTo(day);
      if (date != null) {
        assertThat(d).isEqualTo(date.plusWeeks(1));
      }
      date = d;
      assertFiresAtWallClockOrGapEnd(fire, d.atTime(time), zone);
    }
  }

  /** cron-utils (behind cron) and Errand's own calendar code agree, in every zone, DST or not. */
  @Property
  void calendar_kinds_agree_with_the_equivalent_cron(
      @ForAll("times") LocalTime time,
      @ForAll DayOfWeek day,
      @ForAll @IntRange(min = 1, max = 28) int dayOfMonth,
      @ForAll("zones") ZoneId zone,
      @ForAll("instants") Instant t) {
    String hms = time.getSecond() + " " + time.getMinute() + " " + time.getHour();
    assertThat(Schedule.daily(time, zone).occurrences(t, 3))
        .isEqualTo(Schedule.cron(hms + " * * *", zone).occurrences(t, 3));
    assertThat(Schedule.weekly(day, time, zone).occurrences(t, 3))
        .isEqualTo(Schedule.cron(hms + " * * " + day.getValue() % 7, zone).occurrences(t, 3));
    assertThat(Schedule.monthly(dayOfMonth, time, zone).occurrences(t, 3))
        .isEqualTo(Schedule.cron(hms + " " + dayOfMonth + " * *", zone).occurrences(t, 3));
  }

  /** Fire times of cron and calendar schedules are whole seconds; of every, whole milliseconds. */
  @Property
  void fire_times_are_whole_seconds_or_for_every_whole_milliseconds(
      @ForAll("schedules") Schedule s, @ForAll("instants") Instant t) {
    Instant next = s.next(t);
    if (s.kind() == Schedule.Kind.EVERY) {
      assertThat(next.getNano() % 1_000_000).isZero();
    } else {
      assertThat(next.getNano()).isZero();
    }
  }

  /**
   * Where no DST change exists, cron gives exactly cron-utils' own answer, asked with whole seconds
   * (given a fraction of a second, cron-utils keeps it for a seconds field of {@code *}).
   */
  @Property
  void cron_without_dst_is_exactly_cron_utils(
      @ForAll("cronExpressions") String expression,
      @ForAll("instants") Instant t,
      @ForAll boolean kolkata) {
    ZoneId zone = ZoneId.of(kolkata ? "Asia/Kolkata" : "UTC");
    boolean seconds = expression.split(" ").length == 6;
    ExecutionTime reference =
        ExecutionTime.forCron(new CronParser(CronRecurrence.definition(seconds)).parse(expression));
    Instant expected =
        reference
            .nextExecution(t.truncatedTo(ChronoUnit.SECONDS).atZone(zone))
            .orElseThrow()
            .toInstant();
    assertThat(Schedule.cron(expression, zone).next(t)).isEqualTo(expected);
  }

  @Property
  void every_fires_on_its_anchor_phase(
      @ForAll @LongRange(min = 1, max = 3 * 86_400_000L) long intervalMillis,
      @ForAll("instants") Instant anchorAt,
      @ForAll("instants") Instant t) {
    Duration interval = Duration.ofMillis(intervalMillis);
    Instant anchor = anchorAt.truncatedTo(ChronoUnit.MILLIS);
    Instant next = Schedule.every(interval, anchor).next(t);
    assertThat(Duration.between(anchor, next).toNanos() % interval.toNanos()).isZero();
    assertThat(next.minus(interval)).isBeforeOrEqualTo(t);
  }

  private static void assertFiresAtWallClockOrGapEnd(
      Instant fire, LocalDateTime wallClock, ZoneId zone) {
    ZoneRules rules = zone.getRules();
    if (rules.getValidOffsets(wallClock).isEmpty()) {
      assertThat(fire)
          .as("%s does not exist in %s", wallClock, zone)
          .isEqualTo(rules.getTransition(wallClock).getInstant());
    } else {
      assertThat(fire)
          .as("%s in %s, first occurrence", wallClock, zone)
          .isEqualTo(wallClock.atZone(zone).withEarlierOffsetAtOverlap().toInstant());
    }
  }

  @Provide
  Arbitrary<ZoneId> zones() {
    return Arbitraries.of(ZONES);
  }

  /** Half the times sit around the hours that DST changes move; half anywhere in the day. */
  @Provide
  Arbitrary<LocalTime> times() {
    Arbitrary<LocalTime> anywhere =
        Combinators.combine(
                Arbitraries.integers().between(0, 23),
                Arbitraries.integers().between(0, 59),
                Arbitraries.of(0, 0, 0, 30, 59))
            .as(LocalTime::of);
    Arbitrary<LocalTime> nearChanges =
        Combinators.combine(
                Arbitraries.of(23, 0, 1, 2, 3),
                Arbitraries.of(0, 15, 29, 30, 45, 59),
                Arbitraries.of(0, 59))
            .as(LocalTime::of);
    return Arbitraries.oneOf(anywhere, nearChanges);
  }

  /**
   * Instants from 2010 to 2040: a third anywhere, a third within three days of a DST change in some
   * zone, a third within two hours of one (in and around the gap or the repeated hour).
   */
  @Provide
  Arbitrary<Instant> instants() {
    Arbitrary<Instant> anywhere =
        Arbitraries.longs()
            .between(FROM.getEpochSecond(), TO.getEpochSecond())
            .map(Instant::ofEpochSecond);
    Arbitrary<Instant> nearTransitions =
        Combinators.combine(
                Arbitraries.of(TRANSITIONS), Arbitraries.longs().between(-3 * 86_400L, 3 * 86_400L))
            .as(Instant::plusSeconds);
    Arbitrary<Instant> atTransitions =
        Combinators.combine(
                Arbitraries.of(TRANSITIONS), Arbitraries.longs().between(-7_200L, 7_200L))
            .as(Instant::plusSeconds);
    Arbitrary<Integer> nanos =
        Arbitraries.oneOf(
            Arbitraries.just(0),
            Arbitraries.just(999_999_999),
            Arbitraries.integers().between(0, 999_999_999));
    return Combinators.combine(Arbitraries.oneOf(anywhere, nearTransitions, atTransitions), nanos)
        .as(Instant::plusNanos);
  }

  @Provide
  Arbitrary<Schedule> schedules() {
    Arbitrary<Schedule> daily = Combinators.combine(times(), zones()).as(Schedule::daily);
    Arbitrary<Schedule> weekly =
        Combinators.combine(Arbitraries.of(DayOfWeek.class), times(), zones()).as(Schedule::weekly);
    Arbitrary<Schedule> monthly =
        Combinators.combine(Arbitraries.integers().between(1, 31), times(), zones())
            .as(Schedule::monthly);
    Arbitrary<Schedule> cron = Combinators.combine(cronExpressions(), zones()).as(Schedule::cron);
    Arbitrary<Schedule> every =
        Combinators.combine(Arbitraries.longs().between(1, 40 * 86_400_000L), instants())
            .as(
                (millis, anchor) ->
                    Schedule.every(
                        Duration.ofMillis(millis), anchor.truncatedTo(ChronoUnit.MILLIS)));
    return Arbitraries.oneOf(daily, weekly, monthly, cron, every);
  }

  /** Cron expressions that always fire: 5 fields, or 6 with seconds first. */
  @Provide
  Arbitrary<String> cronExpressions() {
    Arbitrary<String> minute = Arbitraries.of("*", "*/5", "0", "30", "0,15,30,45", "10-20", "*/20");
    Arbitrary<String> hour = Arbitraries.of("*", "0", "1", "2", "1-3", "*/2", "9-17", "23");
    Arbitrary<String> dayOfMonth =
        Arbitraries.of("*", "*", "*", "1", "15", "29", "31", "1-7", "*/10");
    Arbitrary<String> month =
        Arbitraries.of("*", "*", "*/3", "1-6", "JAN,JUL", "OCT-DEC", "3,4,10,11");
    Arbitrary<String> dayOfWeek = Arbitraries.of("*", "*", "*", "0", "MON-FRI", "6,0", "5", "SUN");
    Arbitrary<String> second = Arbitraries.of("", "", "* ", "0 ", "30 ", "*/20 ", "15-17 ");
    return Combinators.combine(second, minute, hour, dayOfMonth, month, dayOfWeek)
        .as((s, mi, h, dom, mo, dow) -> s + mi + " " + h + " " + dom + " " + mo + " " + dow);
  }

  private static List<Instant> transitions() {
    List<Instant> all = new ArrayList<>();
    for (ZoneId zone : ZONES) {
      ZoneOffsetTransition tr = zone.getRules().nextTransition(FROM);
      while (tr != null && tr.getInstant().isBefore(TO)) {
        all.add(tr.getInstant());
        tr = zone.getRules().nextTransition(tr.getInstant());
      }
    }
    return List.copyOf(all);
  }
}
