package dev.errand.bench;

import dev.errand.Errand;
import dev.errand.JobType;
import dev.errand.Misfire;
import dev.errand.RecurringJob;
import dev.errand.Schedule;
import dev.errand.jdbc.PostgresJobStore;
import dev.errand.jdbc.SqliteJobStore;
import dev.errand.spi.JobStore;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Scheduler overhead: {@code --schedules} stored schedules (default 10,000), each firing every
 * minute, their fire times spread evenly over the minute. Measures, on one node:
 *
 * <ul>
 *   <li>the cold start: the first scheduler pass of a node that finds the schedules stored and no
 *       occurrence yet, until every look-ahead window (3 occurrences each) is materialized;
 *   <li>CPU per minute while the node runs them (every schedule fires once a minute, so 10,000 jobs
 *       a minute also run): the scheduler thread alone, and the whole process.
 * </ul>
 *
 * <pre>
 * java -jar errand-bench/target/errand-bench.jar schedules --store sqlite --schedules 10000 --minutes 2
 * java -jar errand-bench/target/errand-bench.jar schedules --store postgres --pg-url jdbc:postgresql://127.0.0.1:5432/postgres?user=me
 * </pre>
 */
final class ScheduleWorkload {
  static final String USAGE =
      """
      usage: errand-bench schedules [--store sqlite|postgres] [--pg-url URL] [--sqlite-dir DIR]
                                    [--schedules N] [--minutes M] [--db-prefix P]
        --store       sqlite (default) or postgres
        --pg-url      admin JDBC URL of a loopback PostgreSQL server (needed for postgres)
        --sqlite-dir  where the SQLite file goes (default: a temporary directory)
        --schedules   stored schedules, each every minute (default 10000)
        --minutes     how long CPU is measured after the cold start (default 2; fractions allowed)
        --db-prefix   prefix of the PostgreSQL database (default errand_bench)
      """;

  /** The options. */
  record Options(
      StoreKind store,
      String pgUrl,
      Path sqliteDir,
      int schedules,
      double minutes,
      String dbPrefix) {
    static Options parse(String... args) {
      StoreKind store = StoreKind.SQLITE;
      String pgUrl = null;
      Path dir = null;
      int schedules = 10_000;
      double minutes = 2;
      String prefix = "errand_bench";
      for (int i = 0; i < args.length; i++) {
        String flag = args[i];
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(flag + " needs a value\n" + USAGE);
        }
        String v = args[++i];
        switch (flag) {
          case "--store" -> store = StoreKind.parse(v);
          case "--pg-url" -> pgUrl = v;
          case "--sqlite-dir" -> dir = Path.of(v);
          case "--schedules" -> schedules = positive(flag, Integer.parseInt(v));
          case "--minutes" -> minutes = positive(flag, Double.parseDouble(v));
          case "--db-prefix" -> prefix = v;
          default -> throw new IllegalArgumentException("unknown option " + flag + "\n" + USAGE);
        }
      }
      if (store == StoreKind.POSTGRES && pgUrl == null) {
        throw new IllegalArgumentException("--store postgres needs --pg-url\n" + USAGE);
      }
      return new Options(store, pgUrl, dir, schedules, minutes, prefix);
    }

    private static <N extends Number> N positive(String flag, N n) {
      if (n.doubleValue() <= 0) {
        throw new IllegalArgumentException(flag + " must be positive, got " + n);
      }
      return n;
    }
  }

  /**
   * What one run measured.
   *
   * @param defineSeconds time to store the schedules through {@code defineSchedule}, one by one
   * @param coldStartSeconds the first scheduler pass: until every window was materialized
   * @param occurrences occurrences created by the cold start
   * @param minutes how long CPU was measured
   * @param schedulerCpuPerMinute CPU seconds of the scheduler thread per minute
   * @param processCpuPerMinute CPU seconds of the whole process per minute (running the jobs too)
   * @param jobsRun occurrences that ran while CPU was measured
   * @param cpuPerMinuteByThread CPU seconds per minute of the busiest thread groups
   */
  record Result(
      double defineSeconds,
      double coldStartSeconds,
      long occurrences,
      double minutes,
      double schedulerCpuPerMinute,
      double processCpuPerMinute,
      long jobsRun,
      Map<String, Double> cpuPerMinuteByThread) {}

  /** The payload of a benchmark occurrence. */
  record Tick(int n) {}

  private ScheduleWorkload() {}

  public static void main(String[] args) throws Exception {
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    print(o, run(o, System.err), System.out);
  }

  static Result run(Options o, PrintStream progress) throws Exception {
    String name = o.dbPrefix() + "_schedules";
    PgServer pg = o.store() == StoreKind.POSTGRES ? new PgServer(o.pgUrl()) : null;
    boolean temporary = pg == null && o.sqliteDir() == null;
    Path dir =
        pg != null
            ? null
            : temporary ? Files.createTempDirectory("errand-bench-schedules") : o.sqliteDir();
    try (Database db = pg != null ? pg.fresh(name) : Database.sqlite(dir, name)) {
      return measure(o, db, dir, name, progress);
    } finally {
      if (temporary) {
        Files.deleteIfExists(dir);
      }
    }
  }

  private static Result measure(Options o, Database db, Path dir, String name, PrintStream progress)
      throws Exception {
    LongAdder ran = new LongAdder();
    JobType<Tick> tick = JobType.of("bench-tick", Tick.class, (ctx, t) -> ran.increment());
    long t0 = System.nanoTime();
    try (Errand definer =
        Errand.builder().store(store(o, db, dir, name)).scheduler(false).build()) {
      definer.register(tick);
      for (int i = 0; i < o.schedules(); i++) {
        Instant anchor = Instant.EPOCH.plusMillis(i * 60_000L / o.schedules());
        definer.defineSchedule(
            RecurringJob.of(
                    "bench-" + i, tick, new Tick(i), Schedule.every(Duration.ofMinutes(1), anchor))
                .misfire(Misfire.skip()));
      }
    }
    double defineSeconds = (System.nanoTime() - t0) / 1e9;
    progress.printf(Locale.ROOT, "defined %d schedules in %.1f s%n", o.schedules(), defineSeconds);

    try (Errand node =
        Errand.builder()
            .store(store(o, db, dir, name))
            .nodeId("bench-node")
            .queue("default", 8)
            .build()) {
      node.register(tick);
      // The cold start: the first scheduler pass of a node that finds every schedule stored and
      // no occurrence yet (what start() does first, run here on this thread to time it alone).
      long start = System.nanoTime();
      long occurrences = node.materializeSchedules();
      double coldStart = (System.nanoTime() - start) / 1e9;
      node.start();
      progress.printf(
          Locale.ROOT,
          "cold start: %d occurrences materialized in %.2f s%n",
          occurrences,
          coldStart);

      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      long schedulerThread =
          Thread.getAllStackTraces().keySet().stream()
              .filter(t -> t.getName().startsWith("errand-scheduler"))
              .findFirst()
              .orElseThrow()
              .getId();
      Map<Long, Long> cpu0 = threadCpu(threads);
      long sched0 = threads.getThreadCpuTime(schedulerThread);
      long proc0 = processCpuNanos();
      long ran0 = ran.sum();
      long wall0 = System.nanoTime();
      long measure = (long) (o.minutes() * 60e9);
      while (System.nanoTime() - wall0 < measure) {
        TimeUnit.NANOSECONDS.sleep(
            Math.min(TimeUnit.SECONDS.toNanos(10), measure - (System.nanoTime() - wall0)));
        progress.printf(
            Locale.ROOT,
            "… %.0f s, %d jobs ran%n",
            (System.nanoTime() - wall0) / 1e9,
            ran.sum() - ran0);
      }
      double minutes = (System.nanoTime() - wall0) / 60e9;
      double sched = (threads.getThreadCpuTime(schedulerThread) - sched0) / 1e9 / minutes;
      double proc = (processCpuNanos() - proc0) / 1e9 / minutes;
      Map<Long, Long> cpu1 = threadCpu(threads);
      Map<String, Double> byThread = new TreeMap<>();
      cpu1.forEach(
          (id, ns) -> {
            ThreadInfo info = threads.getThreadInfo(id);
            if (info != null) {
              String group = info.getThreadName().replaceAll("-\\d+$", "-N");
              byThread.merge(group, (ns - cpu0.getOrDefault(id, 0L)) / 1e9 / minutes, Double::sum);
            }
          });
      Map<String, Double> top = new LinkedHashMap<>();
      byThread.entrySet().stream()
          .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
          .limit(6)
          .forEach(e -> top.put(e.getKey(), e.getValue()));
      return new Result(
          defineSeconds, coldStart, occurrences, minutes, sched, proc, ran.sum() - ran0, top);
    }
  }

  private static JobStore store(Options o, Database db, Path dir, String name) {
    return o.store() == StoreKind.POSTGRES
        ? PostgresJobStore.create(db.dataSource())
        : SqliteJobStore.file(dir.resolve(name + ".db"));
  }

  private static Map<Long, Long> threadCpu(ThreadMXBean threads) {
    Map<Long, Long> out = new HashMap<>();
    for (long id : threads.getAllThreadIds()) {
      long ns = threads.getThreadCpuTime(id);
      if (ns >= 0) {
        out.put(id, ns);
      }
    }
    return out;
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  static void print(Options o, Result r, PrintStream out) {
    out.printf(
        Locale.ROOT,
        "## Scheduler overhead (%s, %d schedules every minute, %d cores)%n%n",
        o.store().label(),
        o.schedules(),
        Runtime.getRuntime().availableProcessors());
    out.println("| measure | value |");
    out.println("|---|---|");
    out.printf(
        Locale.ROOT, "| define the schedules (one call each) | %.1f s |%n", r.defineSeconds());
    out.printf(
        Locale.ROOT,
        "| cold start: materialize every look-ahead window (%d occurrences) | %.2f s |%n",
        r.occurrences(),
        r.coldStartSeconds());
    out.printf(
        Locale.ROOT, "| scheduler thread CPU per minute | %.2f s |%n", r.schedulerCpuPerMinute());
    out.printf(
        Locale.ROOT,
        "| process CPU per minute (scheduler + running %d jobs/min) | %.2f s |%n",
        Math.round(r.jobsRun() / r.minutes()),
        r.processCpuPerMinute());
    out.printf(Locale.ROOT, "| measured for | %.1f min |%n", r.minutes());
    r.cpuPerMinuteByThread()
        .forEach(
            (thread, cpu) ->
                out.printf(
                    Locale.ROOT, "| CPU per minute of threads `%s` | %.2f s |%n", thread, cpu));
  }
}
