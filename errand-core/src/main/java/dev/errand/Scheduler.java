package dev.errand;

import dev.errand.spi.EnqueueResult;
import dev.errand.spi.Materialization;
import dev.errand.spi.MaterializeResult;
import dev.errand.spi.NewJob;
import dev.errand.spi.ScheduleStore;
import dev.errand.spi.ScheduleWrite;
import dev.errand.spi.StoredSchedule;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's scheduler: keeps each stored schedule's next occurrences materialized as SCHEDULED
 * jobs, applies misfire policies, and owns the built-in maintenance schedules. Runs on its own
 * thread ({@code errand-scheduler}); {@link #tick()} may also be called from any thread (calls are
 * serialized). Once per cluster comes from {@link ScheduleStore#materialize}: see {@code
 * docs/schedules.md}.
 */
final class Scheduler {
  private static final Logger log = LoggerFactory.getLogger(Scheduler.class);

  /** The queue the maintenance jobs run on; every node with the scheduler serves it. */
  static final String MAINTENANCE_QUEUE = "errand";

  /** Built-in schedule (and job type) that prunes finished jobs past their retention. */
  static final String PRUNE = "errand.prune";

  /** Built-in schedule (and job type) that rescues jobs whose lease expired. */
  static final String RESCUE = "errand.rescue";

  /** Built-in schedule (and job type) that cancels occurrences whose schedule is gone. */
  static final String ORPHANS = "errand.orphans";

  /** Built-in schedule names, in the order they are defined. */
  static final List<String> BUILT_INS = List.of(PRUNE, RESCUE, ORPHANS);

  /** Unique keys of occurrences start with this, then the schedule name, '@' and the fire time. */
  static final String KEY_PREFIX = "errand:schedule:";

  /** Schedules read and written per store round trip. */
  static final int BATCH = 200;

  /** Most occurrences of one schedule written in one step (the rest follow in the next tick). */
  static final int MAX_PER_STEP = 10_000;

  /** The payload of maintenance jobs. */
  record Maintenance(String task) {}

  private final Errand errand;
  private final SchedulerSettings settings;
  private final Object tickLock = new Object();
  private ScheduledExecutorService thread;

  /** Written and read only by the scheduler thread. */
  private boolean builtInsDefined;

  Scheduler(Errand errand, SchedulerSettings settings) {
    this.errand = errand;
    this.settings = settings;
  }

  SchedulerSettings settings() {
    return settings;
  }

  /** The built-in job types; registered on every engine, whether or not it runs the scheduler. */
  List<JobType<Maintenance>> maintenanceTypes() {
    return List.of(
        JobType.of(
                PRUNE,
                Maintenance.class,
                (ctx, m) -> ctx.result(Map.of("pruned", errand.pruneFinished())))
            .queue(MAINTENANCE_QUEUE)
            .maxAttempts(3),
        JobType.of(
                RESCUE,
                Maintenance.class,
                (ctx, m) -> ctx.result(Map.of("rescued", errand.rescueExpired())))
            .queue(MAINTENANCE_QUEUE)
            .maxAttempts(3),
        JobType.of(
                ORPHANS,
                Maintenance.class,
                (ctx, m) -> ctx.result(Map.of("cancelled", cancelOrphans())))
            .queue(MAINTENANCE_QUEUE)
            .maxAttempts(3));
  }

  /**
   * Starts the tick; called once by {@link Errand#start()}. The first pass on the scheduler thread
   * defines the built-in schedules, then materializes; a failure there (the store is down) is
   * logged and retried at the next pass, so start() itself never fails half-way.
   */
  void start() {
    if (!settings.enabled()) {
      return;
    }
    thread = Executors.newSingleThreadScheduledExecutor(Threads.named("errand-scheduler", true));
    long ms = settings.interval().toMillis();
    thread.scheduleWithFixedDelay(
        () -> {
          try {
            if (!builtInsDefined) {
              for (String name : BUILT_INS) {
                define(
                    RecurringJob.builtIn(
                        name,
                        name,
                        errand.toJson(new Maintenance(name), name),
                        settings.maintenance().get(name)));
              }
              builtInsDefined = true;
            }
            tick();
          } catch (Throwable t) {
            errand.meters().storeError("scheduler");
            log.warn("errand: scheduler tick failed; will try again in {}", settings.interval(), t);
          }
        },
        0,
        ms,
        TimeUnit.MILLISECONDS);
  }

  void stop() {
    if (thread != null) {
      thread.shutdownNow();
    }
  }

  // ------------------------------------------------------------------------------ definitions

  ScheduleInfo define(RecurringJob r) {
    Objects.requireNonNull(r, "schedule");
    JobType<?> type =
        errand
            .type(r.typeName())
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "schedule '"
                            + r.name()
                            + "' names unknown job type '"
                            + r.typeName()
                            + "'; register it with"
                            + " errand.register(JobType.of(\""
                            + r.typeName()
                            + "\", Payload.class, handler)) first"
                            + " (registered: "
                            + errand.typeNames()
                            + ")"));
    String payload =
        r.payload() != null
            ? errand.payloadJson(type, r.payload())
            : errand.canonicalJson(type, r.payloadJson());
    ScheduleStore ss = errand.store().schedules();
    Instant now = errand.store().now().truncatedTo(ChronoUnit.MICROS);
    Instant cursor = now;
    if (r.start() != null) {
      Instant oldest = now.minus(settings.maxStartAge());
      if (r.start().isBefore(oldest)) {
        throw new IllegalArgumentException(
            "start "
                + r.start()
                + " of schedule '"
                + r.name()
                + "' is "
                + Duration.between(r.start(), now).truncatedTo(ChronoUnit.SECONDS)
                + " in the past; a schedule may start at most "
                + settings.maxStartAge()
                + " ago (Errand.Builder.scheduleMaxStartAge): move the start forward");
      }
      cursor = r.start().truncatedTo(ChronoUnit.MICROS).minus(1, ChronoUnit.MICROS);
    }
    StoredSchedule s =
        new StoredSchedule(
            r.name(),
            type.name(),
            type.queue(),
            type.priority(),
            type.maxAttempts(),
            payload,
            r.schedule(),
            r.lookAhead(),
            r.misfire(),
            false,
            cursor,
            null,
            null,
            null);
    ScheduleWrite w = ss.upsert(s);
    if (w.created() || w.changed()) {
      log.info(
          "errand: schedule '{}' {} ({} → {}, look-ahead {}, misfire {}){}",
          r.name(),
          w.created() ? "created" : "redefined",
          r.schedule(),
          type.name(),
          r.lookAhead(),
          r.misfire(),
          w.cancelled() > 0
              ? "; cancelled " + w.cancelled() + " occurrences of the old definition"
              : "");
    }
    return info(ss.find(r.name()).orElseThrow(), now);
  }

  List<ScheduleInfo> list() {
    Instant now = errand.store().now();
    return errand.store().schedules().list().stream().map(s -> info(s, now)).toList();
  }

  Optional<ScheduleInfo> find(String name) {
    Objects.requireNonNull(name, "name");
    return errand.store().schedules().find(name).map(s -> info(s, errand.store().now()));
  }

  private ScheduleInfo info(StoredSchedule s, Instant now) {
    List<Job> upcoming = errand.store().schedules().occurrences(s.name(), s.lookAhead() + 100);
    List<Instant> next = s.paused() ? List.of() : s.schedule().occurrences(now, s.lookAhead());
    return new ScheduleInfo(
        s.name(),
        s.type(),
        s.queue(),
        s.payload(),
        s.schedule(),
        s.lookAhead(),
        s.misfire(),
        s.paused(),
        s.name().startsWith(RecurringJob.BUILT_IN_PREFIX),
        s.materializedThrough(),
        s.createdAt(),
        s.updatedAt(),
        upcoming,
        next);
  }

  int delete(String name) {
    Objects.requireNonNull(name, "name");
    if (name.startsWith(RecurringJob.BUILT_IN_PREFIX)) {
      throw new IllegalArgumentException(
          "schedule '"
              + name
              + "' is built in and is defined again"
              + " at every start; pause it with pauseSchedule(\""
              + name
              + "\") or move it with"
              + " Errand.Builder.maintenance(\""
              + name
              + "\", schedule)");
    }
    int cancelled = errand.store().schedules().delete(name).orElseThrow(() -> unknown(name));
    log.info("errand: schedule '{}' deleted; cancelled {} pending occurrences", name, cancelled);
    return cancelled;
  }

  int setPaused(String name, boolean paused) {
    Objects.requireNonNull(name, "name");
    int cancelled =
        errand.store().schedules().setPaused(name, paused).orElseThrow(() -> unknown(name));
    log.info(
        "errand: schedule '{}' {}{}",
        name,
        paused ? "paused" : "resumed",
        cancelled > 0 ? "; cancelled " + cancelled + " pending occurrences" : "");
    return cancelled;
  }

  JobHandle trigger(String name) {
    StoredSchedule s =
        errand
            .store()
            .schedules()
            .find(Objects.requireNonNull(name, "name"))
            .orElseThrow(() -> unknown(name));
    NewJob job =
        new NewJob(
            s.type(),
            s.queue(),
            s.payload(),
            s.priority(),
            s.maxAttempts(),
            errand.store().now(),
            null,
            Set.of(),
            s.name());
    List<NewJob> jobs = List.of(job);
    List<EnqueueResult> r =
        errand.enqueueWrite(
            () -> {
              List<EnqueueResult> written = errand.store().enqueue(jobs);
              errand.announce(jobs, written);
              return written;
            });
    log.info("errand: schedule '{}' triggered by hand: job {}", name, r.get(0).id());
    return new JobHandle(errand, r.get(0).id(), r.get(0).created());
  }

  private IllegalArgumentException unknown(String name) {
    return new IllegalArgumentException(
        "schedule '"
            + name
            + "' does not exist (stored: "
            + errand.store().schedules().list().stream().map(StoredSchedule::name).toList()
            + ")");
  }

  private int cancelOrphans() {
    int total = 0;
    int n;
    do {
      n = errand.store().schedules().cancelOrphans(1000);
      total += n;
    } while (n == 1000);
    if (total > 0) {
      log.info(
          "errand: cancelled {} orphaned occurrences (their schedule no longer exists)", total);
    }
    return total;
  }

  // ------------------------------------------------------------------------------ materializing

  /**
   * Tops up the window of every schedule that needs it, once. Returns how many occurrences this
   * node created (0 when other nodes did the work).
   */
  int tick() {
    synchronized (tickLock) {
      ScheduleStore ss = errand.store().schedules();
      Instant now = errand.store().now();
      int created = 0;
      String after = "";
      while (true) {
        List<StoredSchedule> due = ss.due(now, after, BATCH);
        if (due.isEmpty()) {
          return created;
        }
        after = due.get(due.size() - 1).name();
        List<Materialization> steps = new ArrayList<>(due.size());
        for (StoredSchedule s : due) {
          try {
            steps.add(plan(s, now));
          } catch (RuntimeException e) {
            errand.meters().storeError("scheduler");
            log.warn(
                "errand: cannot materialize schedule '{}' ({}); skipping it this time",
                s.name(),
                s.schedule(),
                e);
          }
        }
        created +=
            errand.enqueueWrite(
                () -> {
                  List<MaterializeResult> results = ss.materialize(steps);
                  int made = 0;
                  for (int i = 0; i < steps.size(); i++) {
                    MaterializeResult r = results.get(i);
                    if (r.applied()) {
                      made += (int) r.enqueued().stream().filter(EnqueueResult::created).count();
                      errand.announce(steps.get(i).create(), r.enqueued());
                      if (r.cancelled() > 0) {
                        log.info(
                            "errand: schedule '{}': misfire policy cancelled {} overdue occurrences",
                            steps.get(i).name(),
                            r.cancelled());
                      }
                    }
                  }
                  return made;
                });
        if (due.size() < BATCH) {
          return created;
        }
      }
    }
  }

  /**
   * One schedule's step at {@code now}: fire times late by more than the misfire threshold are
   * misfired and go through the policy; later ones through the N-th fire time after now are
   * materialized.
   */
  Materialization plan(StoredSchedule s, Instant now) {
    Schedule schedule = s.schedule();
    Instant cursor = s.materializedThrough();
    Instant cutoff = now.minus(settings.misfireThreshold()).truncatedTo(ChronoUnit.MICROS);
    int budget = s.misfire().cap();
    int kept = 0;
    List<NewJob> create = new ArrayList<>();
    List<Long> cancel = new ArrayList<>();
    if (s.refillAt() != null && s.refillAt().isBefore(cutoff)) {
      // No scheduler ran for longer than the threshold: occurrences materialized before the
      // downtime and still not started are misfired too.
      for (Job j : errand.store().schedules().occurrences(s.name(), s.lookAhead() + 100)) {
        if (j.state().isWaiting()
            && j.attempt() == 0
            && j.uniqueKey() != null
            && j.runAt().isBefore(cutoff)) {
          if (kept < budget) {
            kept++;
          } else {
            cancel.add(j.id());
          }
        }
      }
    }
    budget -= kept;
    Instant last = cursor;
    Instant f = schedule.next(cursor);
    boolean skipped = false;
    while (f.isBefore(cutoff)) {
      if (budget == 0) {
        skipped = true;
        last = later(last, cutoff.minus(1, ChronoUnit.MICROS));
        f = schedule.next(last);
        break;
      }
      create.add(occurrence(s, f));
      budget--;
      last = f;
      f = schedule.next(f);
    }
    if (skipped || !create.isEmpty() || !cancel.isEmpty()) {
      log.info(
          "errand: schedule '{}' misfired: fire times after {} passed while no scheduler ran;"
              + " policy {} runs {} of them late ({} already waiting), cancels {} waiting ones{}",
          s.name(),
          cursor,
          s.misfire(),
          kept + create.size(),
          kept,
          cancel.size(),
          skipped ? " and skips the rest" : "");
    }
    List<Instant> window = schedule.occurrences(now, s.lookAhead());
    Instant target = window.get(window.size() - 1);
    while (!f.isAfter(target) && create.size() < MAX_PER_STEP) {
      create.add(occurrence(s, f));
      last = f;
      f = schedule.next(f);
    }
    boolean complete = f.isAfter(target);
    Instant newCursor = complete ? later(last, target) : last;
    return new Materialization(
        s.name(),
        cursor,
        later(cursor, newCursor),
        complete ? window.get(0) : null,
        create,
        cancel);
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  static String uniqueKey(String schedule, Instant fireTime) {
    return KEY_PREFIX + schedule + "@" + fireTime;
  }

  private static NewJob occurrence(StoredSchedule s, Instant fireTime) {
    return new NewJob(
        s.type(),
        s.queue(),
        s.payload(),
        s.priority(),
        s.maxAttempts(),
        fireTime,
        uniqueKey(s.name(), fireTime),
        Set.of(),
        s.name());
  }

  /** Accepts an existing name of a built-in schedule, else names the valid ones. */
  static String requireBuiltIn(String name) {
    if (!BUILT_INS.contains(name)) {
      throw new IllegalArgumentException(
          "'" + name + "' is not a built-in schedule: use one of " + BUILT_INS);
    }
    return name;
  }

  @Override
  public String toString() {
    return "Scheduler[" + settings + "]";
  }
}
