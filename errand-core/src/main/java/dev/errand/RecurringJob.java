package dev.errand;

import java.time.Instant;
import java.util.Objects;

/**
 * A schedule to store: a name, the job type and payload each occurrence runs with, the {@link
 * Schedule}, how many occurrences to keep materialized ahead ({@link #lookAhead}, default {@value
 * #DEFAULT_LOOK_AHEAD}) and the {@link Misfire} policy. Immutable; every {@code with}-style method
 * returns a changed copy. Store it with {@link Errand#defineSchedule}, which validates the type and
 * payload against the engine's registered types.
 *
 * <pre>{@code
 * errand.defineSchedule(RecurringJob.of("nightly-report", report, new Report("daily"),
 *         Schedule.daily(LocalTime.of(2, 0), ZoneId.of("Europe/London")))
 *     .misfire(Misfire.skip()));
 * }</pre>
 */
public final class RecurringJob {
  /** Occurrences kept materialized ahead unless {@link #lookAhead} says otherwise. */
  public static final int DEFAULT_LOOK_AHEAD = 3;

  /** Most occurrences {@link #lookAhead} accepts. */
  public static final int MAX_LOOK_AHEAD = 1000;

  /** Schedule names starting with this are Errand's built-in maintenance schedules. */
  public static final String BUILT_IN_PREFIX = "errand.";

  private final String name;
  private final String typeName;
  private final Object payload;
  private final String payloadJson;
  private final Schedule schedule;
  private final int lookAhead;
  private final Misfire misfire;
  private final Instant start;

  private RecurringJob(
      String name,
      String typeName,
      Object payload,
      String payloadJson,
      Schedule schedule,
      int lookAhead,
      Misfire misfire,
      Instant start) {
    this.name = name;
    this.typeName = typeName;
    this.payload = payload;
    this.payloadJson = payloadJson;
    this.schedule = schedule;
    this.lookAhead = lookAhead;
    this.misfire = misfire;
    this.start = start;
  }

  /**
   * A schedule named {@code name} that runs {@code type} with {@code payload} at every fire time of
   * {@code schedule}.
   *
   * @param name 1–100 letters, digits and {@code _ . : -}, starting with a letter or digit; not
   *     starting with {@value #BUILT_IN_PREFIX} (reserved for built-in schedules)
   * @throws IllegalArgumentException if the name is not acceptable
   */
  public static <T> RecurringJob of(String name, JobType<T> type, T payload, Schedule schedule) {
    requireUserName(name);
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(payload, "payload");
    Objects.requireNonNull(schedule, "schedule");
    return new RecurringJob(
        name, type.name(), payload, null, schedule, DEFAULT_LOOK_AHEAD, Misfire.runOnce(), null);
  }

  /**
   * A schedule given as text, as remote callers and configuration files give it: a job type name, a
   * JSON payload and the schedule's {@linkplain Schedule#parse text form}. The type and payload are
   * checked by {@link Errand#defineSchedule}.
   *
   * @throws IllegalArgumentException naming the part to fix: the name, or the schedule's kind, cron
   *     field, time, day, zone or interval
   */
  public static RecurringJob ofJson(
      String name, String typeName, String payloadJson, String scheduleText) {
    requireUserName(name);
    JobType.requireName("job type name", typeName);
    Objects.requireNonNull(payloadJson, "payloadJson");
    Schedule schedule = Schedule.parse(Objects.requireNonNull(scheduleText, "scheduleText"));
    return new RecurringJob(
        name, typeName, null, payloadJson, schedule, DEFAULT_LOOK_AHEAD, Misfire.runOnce(), null);
  }

  /** A built-in schedule; only the engine makes these. */
  static RecurringJob builtIn(String name, String typeName, String payloadJson, Schedule schedule) {
    return new RecurringJob(
        name, typeName, null, payloadJson, schedule, 1, Misfire.runOnce(), null);
  }

  private static void requireUserName(String name) {
    JobType.requireName("schedule name", name);
    if (name.startsWith(BUILT_IN_PREFIX)) {
      throw new IllegalArgumentException(
          "schedule name '"
              + name
              + "' starts with '"
              + BUILT_IN_PREFIX
              + "', which is reserved for Errand's built-in schedules; move those with"
              + " Errand.Builder.maintenance(name, schedule), and pick another name for yours");
    }
  }

  /**
   * Keeps the next {@code n} occurrences materialized as SCHEDULED jobs (default {@value
   * #DEFAULT_LOOK_AHEAD}).
   *
   * @throws IllegalArgumentException if {@code n} is outside 1–{@value #MAX_LOOK_AHEAD}
   */
  public RecurringJob lookAhead(int n) {
    if (n < 1 || n > MAX_LOOK_AHEAD) {
      throw new IllegalArgumentException(
          "look-ahead of schedule '"
              + name
              + "' must be 1-"
              + MAX_LOOK_AHEAD
              + " occurrences, got "
              + n);
    }
    return new RecurringJob(name, typeName, payload, payloadJson, schedule, n, misfire, start);
  }

  /** What happens to fire times missed while no scheduler ran (default {@link Misfire#runOnce}). */
  public RecurringJob misfire(Misfire misfire) {
    Objects.requireNonNull(misfire, "misfire");
    return new RecurringJob(
        name, typeName, payload, payloadJson, schedule, lookAhead, misfire, start);
  }

  /**
   * Fire times before {@code start} never run; by default the schedule starts when it is first
   * stored. A start in the past (at most the engine's {@link Errand.Builder#scheduleMaxStartAge},
   * one day by default) makes the fire times since then missed ones, handled by the {@link Misfire}
   * policy. Applies when the schedule is created; a later redefinition keeps its history.
   */
  public RecurringJob startAt(Instant start) {
    Objects.requireNonNull(start, "start");
    return new RecurringJob(
        name, typeName, payload, payloadJson, schedule, lookAhead, misfire, start);
  }

  /** The schedule's name, unique per store. */
  public String name() {
    return name;
  }

  /** The job type each occurrence runs. */
  public String typeName() {
    return typeName;
  }

  /** When it fires. */
  public Schedule schedule() {
    return schedule;
  }

  /** Occurrences kept materialized ahead. */
  public int lookAhead() {
    return lookAhead;
  }

  /** The misfire policy. */
  public Misfire misfire() {
    return misfire;
  }

  /** The requested start, or null for "when first stored". */
  public Instant start() {
    return start;
  }

  /** The payload object given to {@link #of}, or null if given as JSON. */
  Object payload() {
    return payload;
  }

  /** The payload JSON given to {@link #ofJson}, or null if given as an object. */
  String payloadJson() {
    return payloadJson;
  }

  @Override
  public String toString() {
    return "RecurringJob["
        + name
        + ", type="
        + typeName
        + ", schedule="
        + schedule
        + ", lookAhead="
        + lookAhead
        + ", misfire="
        + misfire
        + (start == null ? "" : ", start=" + start)
        + "]";
  }
}
