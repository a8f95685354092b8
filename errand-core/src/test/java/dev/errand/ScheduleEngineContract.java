package dev.errand;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.errand.spi.ClaimedJob;
import dev.errand.spi.Completion;
import dev.errand.spi.JobStore;
import dev.errand.spi.NewJob;
import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Stored schedules through the engine, with a controllable clock: the test moves the clock and
 * steps the scheduler by hand ({@link Errand#materializeSchedules()}), so nothing waits for real
 * time. Every store whose clock can be injected runs it (memory, SQLite).
 */
public abstract class ScheduleEngineContract {
  /** The payload of the test job type. */
  public record Report(String kind) {}

  /** A payload with a field a schedule's JSON may lack. */
  public record Strict(int n) {}

  protected TestClock clock;
  private Errand errand;
  private JobType<Report> report;

  /** A fresh empty store on {@code clock}. */
  protected abstract JobStore newStore(Clock clock) throws Exception;

  /** Another store instance on the database of the last {@link #newStore(Clock)}, like a node. */
  protected abstract JobStore sharedStore(Clock clock) throws Exception;

  private Errand engine(Instant start, Consumer<Errand.Builder> config) throws Exception {
    clock = new TestClock(start);
    Errand.Builder b =
        Errand.builder()
            .store(newStore(clock))
            .clock(clock)
            .misfireThreshold(Duration.ofSeconds(1))
            .schedulerInterval(Duration.ofHours(1))
            .pollInterval(Duration.ofMillis(50));
    config.accept(b);
    errand = b.build();
    report = errand.register(JobType.of("report", Report.class, (ctx, r) -> ctx.result(r.kind())));
    errand.register(JobType.of("strict", Strict.class, (ctx, s) -> {}));
    return errand;
  }

  private Errand engine(Instant start) throws Exception {
    return engine(start, b -> {});
  }

  @AfterEach
  void closeEngine() {
    if (errand != null) {
      errand.close();
    }
  }

  private static Instant at(String iso) {
    return Instant.parse(iso);
  }

  private List<Instant> pending(String name) {
    return errand.schedule(name).orElseThrow().upcoming().stream().map(Job::runAt).toList();
  }

  /** Every stored job of schedule {@code name}, whatever its state (all pages). */
  private List<Job> all(String name) {
    List<Job> out = new java.util.ArrayList<>();
    JobPage page = errand.jobs(JobQuery.all().limit(1000));
    while (true) {
      page.jobs().stream().filter(j -> name.equals(j.scheduleId())).forEach(out::add);
      if (page.nextCursor() == null) {
        return out;
      }
      page = errand.jobs(JobQuery.all().limit(1000).before(page.nextCursor()));
    }
  }

  /** Defines {@code schedule} as {@code name}, runs the scheduler once and returns the window. */
  private List<Instant> window(String name, Schedule schedule) {
    errand.defineSchedule(RecurringJob.of(name, report, new Report(name), schedule));
    errand.materializeSchedules();
    return pending(name);
  }

  private List<Instant> window(Schedule schedule) {
    return window("s", schedule);
  }

  /** Claims and succeeds every due job of the default queue, as a worker would. */
  private int runDue() {
    JobStore store = errand.store();
    List<ClaimedJob> claimed = store.claim("default", 1000, "test-node", Duration.ofMinutes(1));
    store.complete(
        claimed.stream().map(c -> Completion.succeeded(c.job().id(), c.fence(), null)).toList());
    return claimed.size();
  }

  @Test
  void a_weekly_schedule_keeps_three_occurrences_and_tops_up_when_one_runs() throws Exception {
    // The task-recurrence document's example: completing "Weekly Review" due 2024-02-01 leaves
    // 02-08 and 02-15 and creates 02-22.
    engine(at("2024-01-31T12:00:00Z"));
    ScheduleInfo defined =
        errand.defineSchedule(
            RecurringJob.of(
                "weekly-review",
                report,
                new Report("weekly"),
                Schedule.weekly(DayOfWeek.THURSDAY, LocalTime.of(10, 0), ZoneOffset.UTC)));
    assertThat(defined.upcoming()).isEmpty();
    assertThat(defined.nextFireTimes())
        .containsExactly(
            at("2024-02-01T10:00:00Z"), at("2024-02-08T10:00:00Z"), at("2024-02-15T10:00:00Z"));
    assertThat(errand.materializeSchedules()).isEqualTo(3);
    assertThat(pending("weekly-review"))
        .containsExactly(
            at("2024-02-01T10:00:00Z"), at("2024-02-08T10:00:00Z"), at("2024-02-15T10:00:00Z"));
    assertThat(errand.schedule("weekly-review").orElseThrow().upcoming())
        .allSatisfy(
            j -> {
              assertThat(j.state()).isEqualTo(JobState.SCHEDULED);
              assertThat(j.type()).isEqualTo("report");
              assertThat(j.payload()).isEqualTo("{\"kind\":\"weekly\"}");
            });
    assertThat(errand.materializeSchedules()).isZero();

    clock.set(at("2024-02-01T10:00:00Z"));
    assertThat(runDue()).isEqualTo(1);
    assertThat(errand.materializeSchedules()).isEqualTo(1);
    assertThat(pending("weekly-review"))
        .containsExactly(
            at("2024-02-08T10:00:00Z"), at("2024-02-15T10:00:00Z"), at("2024-02-22T10:00:00Z"));
    assertThat(all("weekly-review"))
        .filteredOn(j -> j.state() == JobState.SUCCEEDED)
        .extracting(Job::runAt)
        .containsExactly(at("2024-02-01T10:00:00Z"));
  }

  @Test
  void deleting_a_schedule_cancels_its_pending_occurrences_and_reports_how_many() throws Exception {
    // The document's "Monthly Report": deleting it cascades to 03-01, 04-01 and 05-01.
    engine(at("2024-02-15T00:00:00Z"));
    assertThat(window("monthly-report", Schedule.monthly(1, LocalTime.of(9, 0), ZoneOffset.UTC)))
        .containsExactly(
            at("2024-03-01T09:00:00Z"), at("2024-04-01T09:00:00Z"), at("2024-05-01T09:00:00Z"));
    assertThat(errand.deleteSchedule("monthly-report")).isEqualTo(3);
    assertThat(errand.schedule("monthly-report")).isEmpty();
    assertThat(all("monthly-report")).hasSize(3).allMatch(j -> j.state() == JobState.CANCELLED);
    assertThatThrownBy(() -> errand.deleteSchedule("monthly-report"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not exist");
    clock.advance(Duration.ofDays(100));
    assertThat(errand.materializeSchedules()).isZero();
  }

  @Test
  void monthly_occurrences_keep_the_anchor_day_through_february() throws Exception {
    engine(at("2024-01-30T00:00:00Z"));
    assertThat(window(Schedule.monthly(31, LocalTime.of(10, 0), ZoneOffset.UTC)))
        .containsExactly(
            at("2024-01-31T10:00:00Z"), at("2024-02-29T10:00:00Z"), at("2024-03-31T10:00:00Z"));
  }

  @Test
  void occurrences_across_a_dst_change_keep_the_wall_clock_time() throws Exception {
    engine(at("2024-03-08T12:00:00Z"));
    assertThat(window(Schedule.daily(LocalTime.of(2, 30), ZoneId.of("America/New_York"))))
        .containsExactly(
            at("2024-03-09T07:30:00Z"), at("2024-03-10T07:00:00Z"), at("2024-03-11T06:30:00Z"));
  }

  @Test
  void an_unchanged_definition_keeps_its_occurrences_and_a_changed_one_replaces_the_future_ones()
      throws Exception {
    engine(at("2024-01-01T00:00:30Z"));
    RecurringJob r =
        RecurringJob.of("tick", report, new Report("a"), Schedule.every(Duration.ofMinutes(1)));
    errand.defineSchedule(r);
    errand.materializeSchedules();
    List<Long> before =
        errand.schedule("tick").orElseThrow().upcoming().stream().map(Job::id).toList();
    errand.defineSchedule(r);
    assertThat(errand.materializeSchedules()).isZero();
    assertThat(errand.schedule("tick").orElseThrow().upcoming())
        .extracting(Job::id)
        .isEqualTo(before);

    errand.defineSchedule(
        RecurringJob.of("tick", report, new Report("b"), Schedule.every(Duration.ofMinutes(2))));
    assertThat(all("tick")).filteredOn(j -> j.state() == JobState.CANCELLED).hasSize(3);
    errand.materializeSchedules();
    assertThat(pending("tick"))
        .containsExactly(
            at("2024-01-01T00:02:00Z"), at("2024-01-01T00:04:00Z"), at("2024-01-01T00:06:00Z"));
    assertThat(errand.schedule("tick").orElseThrow().upcoming())
        .allMatch(j -> j.payload().equals("{\"kind\":\"b\"}"));
  }

  @Test
  void a_paused_schedule_gets_no_new_occurrences_and_resumes_from_now() throws Exception {
    engine(at("2024-01-01T00:00:30Z"));
    errand.defineSchedule(
        RecurringJob.of("tick", report, new Report("a"), Schedule.every(Duration.ofMinutes(1))));
    errand.materializeSchedules();
    assertThat(errand.pauseSchedule("tick")).isEqualTo(3);
    assertThat(errand.schedule("tick").orElseThrow().paused()).isTrue();
    assertThat(errand.schedule("tick").orElseThrow().nextFireTimes()).isEmpty();
    clock.advance(Duration.ofMinutes(30));
    assertThat(errand.materializeSchedules()).isZero();
    assertThat(pending("tick")).isEmpty();

    errand.resumeSchedule("tick");
    assertThat(errand.materializeSchedules()).isEqualTo(3);
    assertThat(pending("tick"))
        .containsExactly(
            at("2024-01-01T00:31:00Z"), at("2024-01-01T00:32:00Z"), at("2024-01-01T00:33:00Z"));
  }

  @Test
  void triggering_runs_one_extra_occurrence_now_beside_the_regular_ones() throws Exception {
    engine(at("2024-01-01T00:00:30Z"));
    errand.defineSchedule(
        RecurringJob.of("tick", report, new Report("a"), Schedule.every(Duration.ofMinutes(1))));
    errand.materializeSchedules();
    JobHandle extra = errand.triggerSchedule("tick");
    Job j = errand.job(extra.id()).orElseThrow();
    assertThat(j.scheduleId()).isEqualTo("tick");
    assertThat(j.uniqueKey()).isNull();
    assertThat(j.runAt()).isEqualTo(clock.instant());
    assertThat(pending("tick"))
        .containsExactly(
            at("2024-01-01T00:00:30Z"),
            at("2024-01-01T00:01:00Z"),
            at("2024-01-01T00:02:00Z"),
            at("2024-01-01T00:03:00Z"));
    assertThat(runDue()).isEqualTo(1);
    assertThat(errand.materializeSchedules()).isZero();
    assertThatThrownBy(() -> errand.triggerSchedule("nope"))
        .hasMessageContaining("'nope' does not exist");
  }

  @Test
  void bad_input_is_rejected_naming_the_part_to_fix_and_stores_nothing() throws Exception {
    engine(at("2024-01-01T00:00:00Z"));
    assertThatThrownBy(() -> RecurringJob.ofJson("r", "report", "{}", "hourly:00@UTC"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kind 'hourly' is not known");
    assertThatThrownBy(() -> RecurringJob.ofJson("r", "report", "{}", "cron:60 * * * *@UTC"))
        .hasMessageContaining("minute field '60'");
    assertThatThrownBy(() -> RecurringJob.ofJson("r", "report", "{}", "daily:02:00@Mars/Olympus"))
        .hasMessageContaining("time zone 'Mars/Olympus' does not exist");
    assertThatThrownBy(
            () -> errand.defineSchedule(RecurringJob.ofJson("r", "nope", "{}", "every:PT1M")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown job type 'nope'");
    assertThatThrownBy(
            () ->
                errand.defineSchedule(
                    RecurringJob.ofJson("r", "report", "{\"kind\":1,\"x\":2}", "every:PT1M")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not map to Report");
    assertThatThrownBy(
            () -> errand.defineSchedule(RecurringJob.ofJson("r", "strict", "{}", "every:PT1M")))
        .hasMessageContaining("does not map to Strict");
    assertThatThrownBy(
            () ->
                errand.defineSchedule(
                    RecurringJob.of(
                            "r", report, new Report("a"), Schedule.every(Duration.ofMinutes(1)))
                        .startAt(at("2023-12-30T23:59:59Z"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("start 2023-12-30T23:59:59Z of schedule 'r'")
        .hasMessageContaining("at most PT24H ago");
    assertThatThrownBy(
            () ->
                RecurringJob.of(
                    "errand.mine", report, new Report("a"), Schedule.every(Duration.ofMinutes(1))))
        .hasMessageContaining("reserved");
    assertThatThrownBy(
            () ->
                RecurringJob.of("r", report, new Report("a"), Schedule.every(Duration.ofMinutes(1)))
                    .lookAhead(0))
        .hasMessageContaining("look-ahead of schedule 'r' must be 1-1000");
    assertThat(errand.schedules()).isEmpty();
    assertThat(errand.jobs(JobQuery.all()).jobs()).isEmpty();

    ScheduleInfo ok =
        errand.defineSchedule(RecurringJob.ofJson("r", "strict", "{\"n\": 1}", "every:PT1M"));
    assertThat(ok.payload()).isEqualTo("{\"n\":1}");
  }

  @Test
  void a_start_in_the_past_runs_the_missed_fire_times_by_the_misfire_policy() throws Exception {
    engine(at("2024-01-01T12:00:00Z"));
    errand.defineSchedule(
        RecurringJob.of("backfill", report, new Report("b"), Schedule.every(Duration.ofHours(1)))
            .startAt(at("2024-01-01T09:00:00Z"))
            .misfire(Misfire.runAll(10)));
    errand.materializeSchedules();
    assertThat(pending("backfill"))
        .containsExactly(
            at("2024-01-01T09:00:00Z"),
            at("2024-01-01T10:00:00Z"),
            at("2024-01-01T11:00:00Z"),
            at("2024-01-01T12:00:00Z"),
            at("2024-01-01T13:00:00Z"),
            at("2024-01-01T14:00:00Z"),
            at("2024-01-01T15:00:00Z"));
  }

  @Test
  void a_start_in_the_future_materializes_nothing_before_it() throws Exception {
    engine(at("2024-01-01T00:00:00Z"));
    errand.defineSchedule(
        RecurringJob.of("later", report, new Report("l"), Schedule.every(Duration.ofHours(1)))
            .startAt(at("2024-01-01T02:00:00Z")));
    errand.materializeSchedules();
    assertThat(pending("later"))
        .containsExactly(at("2024-01-01T02:00:00Z"), at("2024-01-01T03:00:00Z"));
  }

  /** Downtime from 00:03:30 to 00:10:00 of an every-minute schedule that had 00:01-00:03 ready. */
  private List<Job> afterDowntime(Misfire misfire) throws Exception {
    engine(at("2024-01-01T00:00:30Z"));
    errand.defineSchedule(
        RecurringJob.of("tick", report, new Report("t"), Schedule.every(Duration.ofMinutes(1)))
            .misfire(misfire));
    errand.materializeSchedules();
    assertThat(pending("tick")).hasSize(3);
    clock.set(at("2024-01-01T00:10:00Z")); // no node ran: nothing claimed, nothing materialized
    errand.materializeSchedules();
    return all("tick");
  }

  private static List<Instant> live(List<Job> jobs) {
    return jobs.stream().filter(j -> !j.state().isFinal()).map(Job::runAt).sorted().toList();
  }

  private static List<Instant> cancelled(List<Job> jobs) {
    return jobs.stream()
        .filter(j -> j.state() == JobState.CANCELLED)
        .map(Job::runAt)
        .sorted()
        .toList();
  }

  private static List<Instant> minutes(int... m) {
    return java.util.Arrays.stream(m)
        .mapToObj(i -> at("2024-01-01T00:00:00Z").plusSeconds(60L * i))
        .toList();
  }

  @Test
  void misfire_run_once_runs_one_occurrence_for_the_whole_downtime() throws Exception {
    List<Job> jobs = afterDowntime(Misfire.runOnce());
    assertThat(live(jobs)).isEqualTo(minutes(1, 10, 11, 12, 13));
    assertThat(cancelled(jobs)).isEqualTo(minutes(2, 3));
  }

  @Test
  void misfire_skip_runs_none_of_the_missed_occurrences() throws Exception {
    List<Job> jobs = afterDowntime(Misfire.skip());
    assertThat(live(jobs)).isEqualTo(minutes(10, 11, 12, 13));
    assertThat(cancelled(jobs)).isEqualTo(minutes(1, 2, 3));
  }

  @Test
  void misfire_run_all_runs_every_missed_occurrence_up_to_the_cap() throws Exception {
    List<Job> jobs = afterDowntime(Misfire.runAll(5));
    assertThat(live(jobs)).isEqualTo(minutes(1, 2, 3, 4, 5, 10, 11, 12, 13));
    assertThat(cancelled(jobs)).isEmpty();
  }

  @Test
  void misfire_run_all_with_a_large_cap_runs_every_missed_occurrence() throws Exception {
    List<Job> jobs = afterDowntime(Misfire.runAll(100));
    assertThat(live(jobs)).isEqualTo(minutes(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13));
  }

  @Test
  void a_late_tick_within_the_misfire_threshold_is_not_a_misfire() throws Exception {
    engine(at("2024-01-01T00:00:30Z"), b -> b.misfireThreshold(Duration.ofMinutes(5)));
    errand.defineSchedule(
        RecurringJob.of("tick", report, new Report("t"), Schedule.every(Duration.ofMinutes(1)))
            .misfire(Misfire.skip()));
    errand.materializeSchedules();
    clock.set(at("2024-01-01T00:04:30Z"));
    errand.materializeSchedules();
    assertThat(live(all("tick"))).isEqualTo(minutes(1, 2, 3, 4, 5, 6, 7));
  }

  @Test
  void built_in_maintenance_schedules_are_visible_movable_and_run_as_jobs() throws Exception {
    engine(
        at("2024-01-01T00:00:30Z"),
        b ->
            b.queue("default", 1)
                .maintenance(
                    "errand.prune", Schedule.daily(LocalTime.of(3, 0), ZoneId.of("Europe/London")))
                .maintenance(
                    "errand.orphans",
                    Schedule.weekly(DayOfWeek.SUNDAY, LocalTime.of(3, 0), ZoneOffset.UTC))
                .retention(Duration.ofHours(1), Duration.ofHours(1)));
    assertThatThrownBy(
            () ->
                Errand.builder().maintenance("errand.nope", Schedule.every(Duration.ofMinutes(1))))
        .hasMessageContaining(
            "not a built-in schedule: use one of [errand.prune, errand.rescue, errand.orphans]");
    errand.start();
    await()
        .until(
            () ->
                errand.schedules().stream()
                    .filter(ScheduleInfo::builtIn)
                    .allMatch(s -> s.upcoming().size() == 1));
    assertThat(errand.schedules())
        .filteredOn(ScheduleInfo::builtIn)
        .extracting(ScheduleInfo::name)
        .containsExactly("errand.orphans", "errand.prune", "errand.rescue");
    ScheduleInfo prune = errand.schedule("errand.prune").orElseThrow();
    assertThat(prune.schedule()).isEqualTo(Schedule.parse("daily:03:00@Europe/London"));
    assertThat(prune.queue()).isEqualTo("errand");
    assertThat(prune.upcoming()).extracting(Job::runAt).containsExactly(at("2024-01-01T03:00:00Z"));
    assertThat(errand.schedule("errand.rescue").orElseThrow().schedule())
        .isEqualTo(Schedule.every(Duration.ofMinutes(1)));
    assertThatThrownBy(() -> errand.deleteSchedule("errand.prune"))
        .hasMessageContaining("is built in");
    assertThat(errand.typeNames()).doesNotContain("errand.prune");

    // an old finished job, and an orphan (retried by hand after its schedule was deleted)
    JobHandle old = errand.enqueue(report, new Report("old"));
    await().until(() -> old.state() == JobState.SUCCEEDED);
    long orphan =
        errand
            .store()
            .enqueue(
                List.of(
                    new NewJob(
                        "report",
                        "default",
                        "{\"kind\":\"o\"}",
                        0,
                        3,
                        clock.instant().plus(Duration.ofDays(1)),
                        "errand:schedule:gone@x",
                        Set.of(),
                        "gone")))
            .get(0)
            .id();
    clock.advance(Duration.ofHours(2));

    Job pruned = errand.triggerSchedule("errand.prune").await(Duration.ofSeconds(30));
    assertThat(pruned.state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(pruned.result()).isEqualTo("{\"pruned\":1}");
    assertThat(errand.job(old.id())).isEmpty();

    Job orphans = errand.triggerSchedule("errand.orphans").await(Duration.ofSeconds(30));
    assertThat(orphans.result()).isEqualTo("{\"cancelled\":1}");
    assertThat(errand.job(orphan).orElseThrow().state()).isEqualTo(JobState.CANCELLED);

    Job rescue = errand.triggerSchedule("errand.rescue").await(Duration.ofSeconds(30));
    assertThat(rescue.result()).isEqualTo("{\"rescued\":0}");
    assertThat(
            errand
                .meterRegistry()
                .counter("errand.jobs.succeeded", "type", "errand.prune", "queue", "errand")
                .count())
        .isEqualTo(1);
  }

  @Test
  void
      two_schedulers_stepped_in_random_order_materialize_every_fire_time_exactly_once_even_after_pruning()
          throws Exception {
    engine(at("2024-01-01T00:00:30Z"));
    Errand other =
        Errand.builder()
            .store(sharedStore(clock))
            .clock(clock)
            .misfireThreshold(Duration.ofSeconds(1))
            .build();
    try {
      other.register(report);
      errand.defineSchedule(
          RecurringJob.of("tick", report, new Report("t"), Schedule.every(Duration.ofMinutes(1)))
              .misfire(Misfire.runAll(1000)));
      java.util.Random random = new java.util.Random(42);
      java.util.Map<Long, Instant> seen = new java.util.HashMap<>();
      for (int step = 0; step < 300; step++) {
        clock.advance(Duration.ofSeconds(random.nextInt(300)));
        (random.nextBoolean() ? errand : other).materializeSchedules();
        if (random.nextInt(3) == 0) {
          (random.nextBoolean() ? errand : other).materializeSchedules();
        }
        runDue();
        all("tick").forEach(j -> seen.put(j.id(), j.runAt()));
        if (random.nextInt(10) == 0) {
          errand.store().prune(JobState.SUCCEEDED, clock.instant().plusSeconds(1), 10_000);
        }
      }
      List<Instant> fireTimes = seen.values().stream().sorted().toList();
      assertThat(fireTimes).doesNotHaveDuplicates();
      Instant last = fireTimes.get(fireTimes.size() - 1);
      assertThat(fireTimes)
          .isEqualTo(
              Schedule.every(Duration.ofMinutes(1))
                  .occurrences(at("2024-01-01T00:00:30Z"), fireTimes.size()));
      assertThat(last).isAfter(clock.instant());
    } finally {
      other.close();
    }
  }

  @Test
  void a_step_with_more_than_ten_thousand_occurrences_continues_at_the_next_pass()
      throws Exception {
    // 15 s of fire times every millisecond since the start (23:59:45.000 … 00:00:00.000, within
    // the threshold, so none is a misfire) and the three after now: 15,004 occurrences
    engine(at("2024-01-01T00:00:00Z"), b -> b.misfireThreshold(Duration.ofSeconds(30)));
    errand.defineSchedule(
        RecurringJob.of("fast", report, new Report("f"), Schedule.every(Duration.ofMillis(1)))
            .startAt(at("2023-12-31T23:59:45Z"))
            .misfire(Misfire.skip()));
    assertThat(errand.materializeSchedules()).isEqualTo(Scheduler.MAX_PER_STEP);
    assertThat(errand.materializeSchedules()).isEqualTo(15_004 - Scheduler.MAX_PER_STEP);
    assertThat(errand.materializeSchedules()).isZero();
    List<Instant> times =
        errand.store().schedules().occurrences("fast", 20_000).stream().map(Job::runAt).toList();
    assertThat(times).doesNotHaveDuplicates().hasSize(15_004);
    assertThat(times.get(0)).isEqualTo(at("2023-12-31T23:59:45Z"));
    assertThat(times.get(times.size() - 1)).isEqualTo(at("2024-01-01T00:00:00.003Z"));
  }
}
