package dev.errand;

import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAdjusters;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When something recurs: a pure function {@link #next(Instant)} from an instant to the first fire
 * time strictly after it, plus the time zone whose wall clock it follows. Immutable, thread-safe
 * and deterministic: every node that holds an equal schedule computes the same fire times, to the
 * nanosecond, whatever its own default zone, so a fire time can key a once-per-cluster occurrence.
 *
 * <p>Kinds, with their {@linkplain #parse text form} (see {@code docs/schedules.md}):
 *
 * <table>
 *   <caption>Schedule kinds</caption>
 *   <tr><th>factory</th><th>text form</th><th>fires</th></tr>
 *   <tr><td>{@link #cron cron("*&#47;5 * * * *", zone)}</td><td><code>cron:*&#47;5 * * * *@Europe/London</code></td>
 *       <td>when a Unix cron expression (5 fields, or 6 with seconds first) matches the wall clock</td></tr>
 *   <tr><td>{@link #daily daily(02:00, zone)}</td><td>{@code daily:02:00@Europe/London}</td>
 *       <td>every day at that wall-clock time</td></tr>
 *   <tr><td>{@link #weekly weekly(SUNDAY, 03:00, zone)}</td><td>{@code weekly:SUNDAY 03:00@UTC}</td>
 *       <td>every week on that day at that time</td></tr>
 *   <tr><td>{@link #monthly monthly(31, 10:00, zone)}</td><td>{@code monthly:31 10:00@America/New_York}</td>
 *       <td>every month on that day, or on its last day if shorter; the next month returns to the
 *       anchor day (Jan 31 → Feb 29 → Mar 31)</td></tr>
 *   <tr><td>{@link #every every(PT30S)}</td><td>{@code every:PT30S}</td>
 *       <td>every fixed interval of elapsed time, counted from an anchor (the epoch unless given)</td></tr>
 * </table>
 *
 * <p>DST rules, the same for cron and every calendar kind: the wall-clock time is kept across DST
 * changes; a wall-clock time that does not exist on a spring-forward day fires once, at the first
 * valid instant after the gap (a daily 02:30 in America/New_York fires at 03:00 EDT on 2024-03-10);
 * a wall-clock time that happens twice on a fall-back day fires once, at its first occurrence (a
 * daily 01:30 fires at 01:30 EDT on 2024-11-03, not again at 01:30 EST). {@code every} counts
 * elapsed time and ignores zones.
 *
 * <p>No method accepts null; a null argument throws {@link NullPointerException}.
 */
public final class Schedule {

  /** The kind of a schedule; its lower-case name starts the {@linkplain #parse text form}. */
  public enum Kind {
    /** A Unix cron expression in a zone: {@link #cron}. */
    CRON,
    /** Every day at a wall-clock time: {@link #daily}. */
    DAILY,
    /** Every week on a day at a wall-clock time: {@link #weekly}. */
    WEEKLY,
    /** Every month on a day at a wall-clock time: {@link #monthly}. */
    MONTHLY,
    /** A fixed interval of elapsed time: {@link #every}. */
    EVERY;

    String prefix() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private static final Pattern TIME = Pattern.compile("(\\d{1,2}):(\\d{2})(?::(\\d{2}))?");
  private static final Pattern DAY_OF_MONTH = Pattern.compile("\\d{1,2}");
  private static final String KINDS = "cron, daily, weekly, monthly or every";

  private final Kind kind;
  private final ZoneId zone;
  private final String spec;

  /** The wall-clock recurrence of cron and calendar kinds; null for {@link Kind#EVERY}. */
  private final LocalRecurrence recurrence;

  /** The interval of {@link Kind#EVERY}; null otherwise. */
  private final Duration interval;

  /** The anchor of {@link Kind#EVERY}; null otherwise. */
  private final Instant anchor;

  private Schedule(
      Kind kind,
      ZoneId zone,
      String spec,
      LocalRecurrence recurrence,
      Duration interval,
      Instant anchor) {
    this.kind = kind;
    this.zone = zone;
    this.spec = spec;
    this.recurrence = recurrence;
    this.interval = interval;
    this.anchor = anchor;
  }

  /**
   * Fires whenever the Unix cron {@code expression} matches the wall clock in {@code zone}. Five
   * fields ({@code minute hour day-of-month month day-of-week}) fire at second 0; six fields put
   * {@code second} first. Fields take numbers, {@code *}, lists ({@code ,}), ranges ({@code -}) and
   * steps ({@code /}); months also take {@code JAN}–{@code DEC}, days of week {@code 0}–{@code 7}
   * (0 and 7 are Sunday) or {@code SUN}–{@code SAT}. When both day-of-month and day-of-week are
   * restricted, a day matching either fires, as in Unix cron. The class's DST rules apply, so a
   * wall-clock time fires at most once per day even in the repeated hour of a fall-back day; use
   * {@link #every} for a fixed rhythm of elapsed time.
   *
   * @throws IllegalArgumentException naming the field to fix and its valid values, or if no date
   *     ever matches (e.g. {@code 0 0 30 2 *})
   */
  public static Schedule cron(String expression, ZoneId zone) {
    Objects.requireNonNull(expression, "expression");
    Objects.requireNonNull(zone, "zone");
    CronRecurrence cron = CronRecurrence.parse(expression);
    return new Schedule(Kind.CRON, zone, cron.expression(), cron, null, null);
  }

  /**
   * Fires every day at {@code time} on the wall clock of {@code zone}.
   *
   * @throws IllegalArgumentException if {@code time} has a fraction of a second
   */
  public static Schedule daily(LocalTime time, ZoneId zone) {
    requireWholeSeconds(time);
    Objects.requireNonNull(zone, "zone");
    return new Schedule(
        Kind.DAILY,
        zone,
        time.toString(),
        local -> {
          LocalDateTime candidate = local.toLocalDate().atTime(time);
          return candidate.isAfter(local) ? candidate : candidate.plusDays(1);
        },
        null,
        null);
  }

  /**
   * Fires every week on {@code day} at {@code time} on the wall clock of {@code zone}.
   *
   * @throws IllegalArgumentException if {@code time} has a fraction of a second
   */
  public static Schedule weekly(DayOfWeek day, LocalTime time, ZoneId zone) {
    Objects.requireNonNull(day, "day");
    requireWholeSeconds(time);
    Objects.requireNonNull(zone, "zone");
    return new Schedule(
        Kind.WEEKLY,
        zone,
        day + " " + time,
        local -> {
          LocalDateTime candidate =
              local.toLocalDate().with(TemporalAdjusters.nextOrSame(day)).atTime(time);
          return candidate.isAfter(local) ? candidate : candidate.plusWeeks(1);
        },
        null,
        null);
  }

  /**
   * Fires every month on {@code dayOfMonth} at {@code time} on the wall clock of {@code zone}. A
   * month without that day fires on its last day, and the next month returns to {@code dayOfMonth}:
   * {@code monthly(31, …)} fires on 2024-01-31, 2024-02-29, 2024-03-31, 2024-04-30; it never drifts
   * to an earlier day.
   *
   * @param dayOfMonth 1 to 31
   * @throws IllegalArgumentException if {@code dayOfMonth} is outside 1–31 or {@code time} has a
   *     fraction of a second
   */
  public static Schedule monthly(int dayOfMonth, LocalTime time, ZoneId zone) {
    if (dayOfMonth < 1 || dayOfMonth > 31) {
      throw new IllegalArgumentException(
          "dayOfMonth must be between 1 and 31, got "
              + dayOfMonth
              + " (a month without the day fires on its last day, so 31 means the last day of every"
              + " month)");
    }
    requireWholeSeconds(time);
    Objects.requireNonNull(zone, "zone");
    return new Schedule(
        Kind.MONTHLY,
        zone,
        dayOfMonth + " " + time,
        local -> {
          YearMonth month = YearMonth.from(local);
          LocalDateTime candidate = onDay(month, dayOfMonth).atTime(time);
          return candidate.isAfter(local)
              ? candidate
              : onDay(month.plusMonths(1), dayOfMonth).atTime(time);
        },
        null,
        null);
  }

  /**
   * Fires every {@code interval} of elapsed time at {@code 1970-01-01T00:00:00Z + k × interval} for
   * every integer {@code k}, so every node computes the same fire times without agreeing on a
   * start: {@code every(PT1H)} fires on the hour in UTC, {@code every(PT30S)} at seconds 0 and 30.
   * Same as {@code every(interval, Instant.EPOCH)}.
   *
   * @throws IllegalArgumentException if {@code interval} is not positive or not a whole number of
   *     milliseconds
   */
  public static Schedule every(Duration interval) {
    return every(interval, Instant.EPOCH);
  }

  /**
   * Fires at {@code anchor + k × interval} for every integer {@code k}, before and after the
   * anchor: the anchor sets the phase, not a start. {@code every(PT1H, 2024-01-01T00:15:00Z)} fires
   * at minute 15 of every hour. Elapsed time is counted, so zones and DST changes play no part; use
   * {@link #daily} and the like to follow a wall clock. {@link #zone()} is UTC.
   *
   * @throws IllegalArgumentException if {@code interval} is not positive, or if it or {@code
   *     anchor} is not a whole number of milliseconds (which every store keeps exactly)
   */
  public static Schedule every(Duration interval, Instant anchor) {
    Objects.requireNonNull(interval, "interval");
    Objects.requireNonNull(anchor, "anchor");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException(
          "every interval must be positive, got " + interval + "; use e.g. PT30S, PT5M or PT1H");
    }
    if (interval.getNano() % 1_000_000 != 0) {
      throw new IllegalArgumentException(
          "every interval " + interval + " is not a whole number of milliseconds; use e.g. PT0.5S");
    }
    if (anchor.getNano() % 1_000_000 != 0) {
      throw new IllegalArgumentException(
          "every anchor "
              + anchor
              + " is not a whole number of milliseconds; pass"
              + " anchor.truncatedTo(ChronoUnit.MILLIS)");
    }
    String spec = interval + (anchor.equals(Instant.EPOCH) ? "" : " from " + anchor);
    return new Schedule(Kind.EVERY, ZoneOffset.UTC, spec, null, interval, anchor);
  }

  /**
   * The calendar schedule of a task that repeats from {@code first} with a {@code repeatType} of
   * {@code daily} (add one day, keeping the wall-clock time), {@code weekly} (add seven days) or
   * {@code monthly} (add one month, keeping the day of {@code first} as the anchor day). The result
   * is {@link #daily}, {@link #weekly} or {@link #monthly} at {@code first}'s local time and zone;
   * {@code first} is one of its fire times, so {@code occurrences(first.toInstant(), n)} are the
   * next {@code n} repetitions (unless {@code first} is the second pass of a repeated wall-clock
   * time, which the DST rules never fire).
   *
   * @param repeatType {@code daily}, {@code weekly} or {@code monthly}, in any case
   * @throws IllegalArgumentException for any other repeat type, or if {@code first} has a fraction
   *     of a second
   */
  public static Schedule repeating(String repeatType, ZonedDateTime first) {
    Objects.requireNonNull(repeatType, "repeatType");
    Objects.requireNonNull(first, "first");
    switch (repeatType.trim().toLowerCase(Locale.ROOT)) {
      case "daily":
        return daily(first.toLocalTime(), first.getZone());
      case "weekly":
        return weekly(first.getDayOfWeek(), first.toLocalTime(), first.getZone());
      case "monthly":
        return monthly(first.getDayOfMonth(), first.toLocalTime(), first.getZone());
      default:
        throw new IllegalArgumentException(
            "repeat type '" + repeatType + "' is not valid: use daily, weekly or monthly");
    }
  }

  /**
   * Reads the text form that {@link #toString()} writes: {@code kind:spec@zone}, or {@code
   * every:interval[ from anchor]} without a zone.
   *
   * <pre>
   * cron:*&#47;5 * * * *@Europe/London        cron:0 30 2 * * *@UTC   (6 fields: seconds first)
   * daily:02:00@Europe/London             daily:23:59:30@Asia/Kolkata
   * weekly:SUNDAY 03:00@UTC               (MONDAY … SUNDAY or MON … SUN, any case)
   * monthly:31 10:00@America/New_York     (day 1–31)
   * every:PT30S                           every:PT1H from 2024-01-01T00:15:00Z
   * </pre>
   *
   * <p>Times are {@code H:mm} or {@code H:mm:ss} on the 24-hour clock; zones are IANA ids ({@code
   * Europe/London}), {@code UTC} or fixed offsets ({@code +05:30}); intervals are ISO-8601
   * durations; anchors are ISO-8601 instants. The kind is case-insensitive. {@code
   * parse(s.toString())} equals {@code s} for every schedule {@code s}.
   *
   * @throws IllegalArgumentException naming the part to fix (kind, expression field, day, time,
   *     zone, interval or anchor) and what would be valid
   */
  public static Schedule parse(String text) {
    Objects.requireNonNull(text, "text");
    String trimmed = text.trim();
    int colon = trimmed.indexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException(
          "schedule '"
              + text
              + "' has no kind: start it with "
              + KINDS
              + " and a colon, e.g."
              + " daily:02:00@Europe/London or every:PT30S");
    }
    String kindText = trimmed.substring(0, colon).trim();
    Kind kind = kindOf(kindText);
    String rest = trimmed.substring(colon + 1).trim();
    if (kind == Kind.EVERY) {
      return parseEvery(text, rest);
    }
    int at = rest.lastIndexOf('@');
    if (at < 0) {
      throw new IllegalArgumentException(
          "schedule '"
              + text
              + "' has no time zone: end it with @ and a zone id, e.g. @UTC or"
              + " @Europe/London");
    }
    String spec = rest.substring(0, at).trim();
    ZoneId zone = zoneOf(rest.substring(at + 1).trim());
    switch (kind) {
      case CRON:
        return cron(spec, zone);
      case DAILY:
        return daily(timeOf(spec), zone);
      case WEEKLY:
        {
          String[] parts = twoParts(text, spec, "a day and a time, e.g. weekly:SUNDAY 03:00@UTC");
          return weekly(dayOfWeekOf(parts[0]), timeOf(parts[1]), zone);
        }
      default:
        {
          String[] parts =
              twoParts(
                  text, spec, "a day of month and a time, e.g. monthly:31 10:00@America/New_York");
          return monthly(dayOfMonthOf(parts[0]), timeOf(parts[1]), zone);
        }
    }
  }

  /**
   * The first fire time strictly after {@code after}. Pure: the same schedule and argument give the
   * same result on every node and call.
   *
   * @throws DateTimeException if that fire time lies beyond the range of {@code java.time}
   */
  public Instant next(Instant after) {
    Objects.requireNonNull(after, "after");
    return kind == Kind.EVERY ? nextInterval(after) : nextOnWallClock(after);
  }

  /**
   * The next {@code n} fire times strictly after {@code after}, strictly increasing: {@code
   * next(after)}, {@code next(next(after))} and so on. Immutable.
   *
   * @throws IllegalArgumentException if {@code n} is negative
   */
  public List<Instant> occurrences(Instant after, int n) {
    Objects.requireNonNull(after, "after");
    if (n < 0) {
      throw new IllegalArgumentException("occurrences needs n >= 0, got " + n);
    }
    List<Instant> result = new ArrayList<>(n);
    Instant t = after;
    for (int i = 0; i < n; i++) {
      t = next(t);
      result.add(t);
    }
    return List.copyOf(result);
  }

  /** This schedule's kind. */
  public Kind kind() {
    return kind;
  }

  /** The zone whose wall clock this schedule follows; UTC for {@link Kind#EVERY}. */
  public ZoneId zone() {
    return zone;
  }

  /**
   * The text form, which {@link #parse} reads back into an equal schedule: e.g. <code>
   * cron:*&#47;5 * * * *@Europe/London</code>, {@code monthly:31 10:00@America/New_York}, {@code
   * every:PT30S}. Cron fields are separated by single spaces; times print as {@code HH:mm} or
   * {@code HH:mm:ss}; days of week in upper case.
   */
  @Override
  public String toString() {
    return kind.prefix() + ":" + spec + (kind == Kind.EVERY ? "" : "@" + zone.getId());
  }

  /** Equal if of the same kind with the same text form (so the same fire times). */
  @Override
  public boolean equals(Object o) {
    return o instanceof Schedule s && s.kind == kind && s.spec.equals(spec) && s.zone.equals(zone);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, spec, zone);
  }

  /** {@code anchor + k × interval} for the smallest {@code k} that lands after {@code after}. */
  private Instant nextInterval(Instant after) {
    try {
      long k = Duration.between(anchor, after).dividedBy(interval);
      Instant t = anchor.plus(interval.multipliedBy(k));
      return t.isAfter(after) ? t : t.plus(interval);
    } catch (ArithmeticException e) {
      throw new DateTimeException(
          "next fire time of " + this + " after " + after + " is out of range", e);
    }
  }

  /**
   * Walks the wall clock from {@code after}'s local time and maps each candidate to an instant by
   * {@link #firstInstant}. That mapping never decreases, so the first candidate whose instant is
   * after {@code after} is the answer. If {@code after} lies in the second pass of a repeated hour,
   * every wall-clock time of that hour fired in the first pass, before {@code after}; the walk
   * would skip them one by one (3,600 steps for a cron every second), so it starts at the hour's
   * end instead.
   */
  private Instant nextOnWallClock(Instant after) {
    ZoneRules rules = zone.getRules();
    LocalDateTime local = LocalDateTime.ofInstant(after, zone);
    ZoneOffsetTransition transition = rules.getTransition(local);
    if (transition != null
        && transition.isOverlap()
        && rules.getOffset(after).equals(transition.getOffsetAfter())) {
      local = transition.getDateTimeBefore().minusNanos(1);
    }
    while (true) {
      LocalDateTime candidate = recurrence.nextAfter(local);
      Instant at = firstInstant(candidate, rules);
      if (at.isAfter(after)) {
        return at;
      }
      local = candidate;
    }
  }

  /**
   * The instant a wall-clock time fires: its only instant if unambiguous; the end of the gap (the
   * first valid instant after it) if it falls into a spring-forward gap; its earlier instant if it
   * happens twice.
   */
  static Instant firstInstant(LocalDateTime local, ZoneRules rules) {
    ZoneOffsetTransition transition = rules.getTransition(local);
    if (transition == null) {
      return local.toInstant(rules.getOffset(local));
    }
    return transition.isGap()
        ? transition.getInstant()
        : local.toInstant(transition.getOffsetBefore());
  }

  private static LocalDate onDay(YearMonth month, int dayOfMonth) {
    return month.atDay(Math.min(dayOfMonth, month.lengthOfMonth()));
  }

  private static void requireWholeSeconds(LocalTime time) {
    Objects.requireNonNull(time, "time");
    if (time.getNano() != 0) {
      throw new IllegalArgumentException(
          "time "
              + time
              + " has a fraction of a second: schedules fire on whole seconds; use e.g."
              + " "
              + time.withNano(0));
    }
  }

  private static Kind kindOf(String text) {
    for (Kind k : Kind.values()) {
      if (k.prefix().equalsIgnoreCase(text)) {
        return k;
      }
    }
    throw new IllegalArgumentException("schedule kind '" + text + "' is not known: use " + KINDS);
  }

  private static Schedule parseEvery(String text, String rest) {
    if (rest.indexOf('@') >= 0) {
      throw new IllegalArgumentException(
          "schedule '"
              + text
              + "' has a time zone, but every counts elapsed time in no zone: remove"
              + " the @ part, or use daily, weekly, monthly or cron to follow a wall clock");
    }
    String[] parts = rest.isEmpty() ? new String[0] : rest.split("\\s+");
    if (parts.length != 1 && !(parts.length == 3 && parts[1].equalsIgnoreCase("from"))) {
      throw new IllegalArgumentException(
          "schedule '"
              + text
              + "' is not valid: write every:INTERVAL or every:INTERVAL from ANCHOR,"
              + " e.g. every:PT30S or every:PT1H from 2024-01-01T00:15:00Z");
    }
    Duration interval;
    try {
      interval = Duration.parse(parts[0]);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "every interval '"
              + parts[0]
              + "' is not an ISO-8601 duration: use e.g. PT30S, PT5M, PT1H"
              + " or P1D",
          e);
    }
    if (parts.length == 1) {
      return every(interval);
    }
    Instant anchor;
    try {
      anchor = Instant.parse(parts[2]);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "every anchor '"
              + parts[2]
              + "' is not an ISO-8601 instant in UTC: use e.g."
              + " 2024-01-01T00:15:00Z",
          e);
    }
    return every(interval, anchor);
  }

  private static String[] twoParts(String text, String spec, String expected) {
    String[] parts = spec.isEmpty() ? new String[0] : spec.split("\\s+");
    if (parts.length != 2) {
      throw new IllegalArgumentException("schedule '" + text + "' needs " + expected);
    }
    return parts;
  }

  static ZoneId zoneOf(String id) {
    try {
      return ZoneId.of(id);
    } catch (DateTimeException e) {
      String suggestion = "";
      for (String known : ZoneId.getAvailableZoneIds()) {
        if (known.equalsIgnoreCase(id)) {
          suggestion = " (did you mean " + known + "?)";
          break;
        }
      }
      throw new IllegalArgumentException(
          "time zone '"
              + id
              + "' does not exist"
              + suggestion
              + ": use an IANA zone id such as UTC,"
              + " Europe/London or America/New_York, or an offset such as +05:30",
          e);
    }
  }

  private static LocalTime timeOf(String text) {
    Matcher m = TIME.matcher(text);
    if (m.matches()) {
      try {
        return LocalTime.of(
            Integer.parseInt(m.group(1)),
            Integer.parseInt(m.group(2)),
            m.group(3) == null ? 0 : Integer.parseInt(m.group(3)));
      } catch (DateTimeException e) {
        // falls through to the message below
      }
    }
    throw new IllegalArgumentException(
        "time '"
            + text
            + "' is not valid: use HH:mm or HH:mm:ss on the 24-hour clock, from 00:00 to"
            + " 23:59:59, e.g. 02:00 or 23:59:30");
  }

  private static DayOfWeek dayOfWeekOf(String text) {
    String upper = text.toUpperCase(Locale.ROOT);
    for (DayOfWeek d : DayOfWeek.values()) {
      if (d.name().equals(upper) || d.name().substring(0, 3).equals(upper)) {
        return d;
      }
    }
    throw new IllegalArgumentException(
        "day of week '" + text + "' is not valid: use MONDAY … SUNDAY or MON … SUN");
  }

  private static int dayOfMonthOf(String text) {
    if (!DAY_OF_MONTH.matcher(text).matches()) {
      throw new IllegalArgumentException(
          "day of month '"
              + text
              + "' is not valid: use a number from 1 to 31 (31 means the last"
              + " day of every month)");
    }
    return Integer.parseInt(text);
  }
}
