package dev.errand.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The five workloads. Each measured run of each system gets a fresh database, opens the system,
 * measures, closes it and drops the database. Results go to the {@link Report}; a run that fails or
 * times out is recorded as failed with its reason and the benchmark goes on.
 */
final class Workloads {
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  /** A drain in which no job started for this long has failed. */
  private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(60);

  /** Most jobs one mixed-workload producer enqueues, whatever the time (a bound, never reached). */
  private static final long MIXED_MAX_JOBS = 50_000_000L;

  private final BenchOptions o;
  private final PgServer pg;
  private final Path sqliteDir;
  private final Report report;
  private final PrintStream progress;

  Workloads(BenchOptions o, PgServer pg, Path sqliteDir, Report report, PrintStream progress) {
    this.o = o;
    this.pg = pg;
    this.sqliteDir = sqliteDir;
    this.report = report;
    this.progress = progress;
  }

  /** Runs one measured run of {@code workload} for {@code system} on {@code kind}. */
  void run(StoreKind kind, String workload, int run, JobSystem system) {
    long t0 = System.nanoTime();
    progress.printf(
        Locale.ROOT,
        "[%s] %s run %d/%d: %s …%n",
        kind.label(),
        workload,
        run,
        o.runs(),
        system.name());
    Map<Metric, Double> result = new EnumMap<>(Metric.class);
    try {
      switch (workload) {
        case "enqueue" -> enqueue(kind, system, result);
        case "drain" -> {
          try (Database db = fresh(kind, system, workload)) {
            drain(kind, system, db, result, Metric.DRAIN);
          }
        }
        case "latency" -> latency(kind, system, result);
        case "mixed" -> mixed(kind, system, result);
        case "bloat" -> bloat(kind, system, result);
        default -> throw new IllegalArgumentException("unknown workload " + workload);
      }
      result.forEach((m, v) -> report.add(kind, m, system.name(), v));
      progress.printf(
          Locale.ROOT,
          "[%s] %s run %d/%d: %s done in %.1f s: %s%n",
          kind.label(),
          workload,
          run,
          o.runs(),
          system.name(),
          (System.nanoTime() - t0) / 1e9,
          summary(result));
    } catch (Exception | AssertionError e) {
      for (Metric m : Metric.values()) {
        if (m.workload.equals(workload) && m.direction != Metric.Direction.INFO) {
          report.add(kind, m, system.name(), Double.NaN);
        }
      }
      String why = e.getClass().getSimpleName() + ": " + e.getMessage();
      report.note(kind, workload, system.name() + " run " + run + " failed: " + why);
      progress.printf(
          Locale.ROOT,
          "[%s] %s run %d/%d: %s FAILED: %s%n",
          kind.label(),
          workload,
          run,
          o.runs(),
          system.name(),
          why);
      e.printStackTrace(progress);
    }
  }

  private static String summary(Map<Metric, Double> r) {
    List<String> parts = new ArrayList<>();
    r.forEach(
        (m, v) ->
            parts.add(
                m.name().toLowerCase(Locale.ROOT) + "=" + Report.format(v, m) + " " + m.unit));
    return String.join(", ", parts);
  }

  private Database fresh(StoreKind kind, JobSystem system, String workload) throws Exception {
    String name = o.dbPrefix() + "_" + system.name().replace('-', '_') + "_" + workload;
    return kind == StoreKind.POSTGRES ? pg.fresh(name) : Database.sqlite(sqliteDir, name);
  }

  private long deadline() {
    return System.nanoTime() + o.timeout().toNanos();
  }

  // ---------------------------------------------------------------------------- enqueue

  private void enqueue(StoreKind kind, JobSystem system, Map<Metric, Double> result)
      throws Exception {
    int n = o.singleJobs();
    try (Database db = fresh(kind, system, "enqueue_single");
        JobSystem.Session s = system.open(db, o.threads())) {
      long deadline = deadline();
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        s.enqueue(i, Probe.wallMicros());
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException(
              "only " + (i + 1) + " of " + n + " single enqueues within " + o.timeout());
        }
      }
      double rate = n / seconds(System.nanoTime() - t0);
      requireStored(s, n);
      result.put(Metric.SINGLE_ENQUEUE, rate);
    }
    int total = o.batchJobs();
    try (Database db = fresh(kind, system, "enqueue_batch");
        JobSystem.Session s = system.open(db, o.threads())) {
      long t0 = System.nanoTime();
      fill(s, total);
      double rate = total / seconds(System.nanoTime() - t0);
      requireStored(s, total);
      result.put(Metric.BATCH_ENQUEUE, rate);
    }
  }

  /** Enqueues {@code n} jobs with the batch API in batches of {@code --batch-size}. */
  private void fill(JobSystem.Session s, int n) throws Exception {
    long deadline = deadline();
    for (int first = 0; first < n; first += o.batchSize()) {
      s.enqueueBatch(first, Math.min(o.batchSize(), n - first), Probe.wallMicros());
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(
            "enqueueing " + n + " jobs took longer than " + o.timeout());
      }
    }
  }

  private static void requireStored(JobSystem.Session s, long n) throws Exception {
    long stored = s.unfinished();
    if (stored != n) {
      throw new IllegalStateException(
          "enqueued " + n + " jobs but the database holds " + stored + " unfinished ones");
    }
  }

  // ---------------------------------------------------------------------------- drain

  /** Queues {@code --drain-jobs} jobs, starts the workers and times until all are finished. */
  private void drain(
      StoreKind kind, JobSystem system, Database db, Map<Metric, Double> result, Metric metric)
      throws Exception {
    try (JobSystem.Session s = system.open(db, o.threads())) {
      if (metric == Metric.BLOAT_DRAIN) {
        long t = System.nanoTime();
        s.insertFinished(o.bloatRows());
        analyze(db);
        result.put(Metric.BLOAT_INSERT, seconds(System.nanoTime() - t));
      }
      int n = o.drainJobs();
      fill(s, n);
      requireStored(s, n);
      Probe probe = Probe.install(n);
      long startMicros = Probe.wallMicros();
      long t0 = System.nanoTime();
      long deadline = t0 + o.timeout().toNanos();
      s.startWorkers();
      if (!probe.awaitCount(n, deadline, STALL_NANOS)) {
        throw new IllegalStateException(
            "only "
                + probe.count()
                + " of "
                + n
                + " jobs started (limit "
                + o.timeout().toSeconds()
                + " s, or "
                + TimeUnit.NANOSECONDS.toSeconds(STALL_NANOS)
                + " s without any start)");
      }
      awaitAllFinished(s, deadline);
      double rate = n / seconds(System.nanoTime() - t0);
      long first = Long.MAX_VALUE;
      for (int i = 0; i < n; i++) {
        first = Math.min(first, probe.startedMicros(i));
      }
      result.put(metric, rate);
      if (metric == Metric.DRAIN) {
        result.put(Metric.DRAIN_FIRST_START, (first - startMicros) / 1000.0);
      }
    }
  }

  private static void awaitAllFinished(JobSystem.Session s, long deadline) throws Exception {
    while (true) {
      long left = s.unfinished();
      if (left == 0) {
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(
            left + " jobs still unfinished in the database at the deadline");
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  /** Fresh statistics after a bulk insert, as autovacuum would give a table that grew over time. */
  private static void analyze(Database db) throws Exception {
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      st.execute(db.kind == StoreKind.POSTGRES ? "VACUUM ANALYZE" : "ANALYZE");
    }
  }

  // ---------------------------------------------------------------------------- bloat

  private void bloat(StoreKind kind, JobSystem system, Map<Metric, Double> result)
      throws Exception {
    try (Database db = fresh(kind, system, "bloat")) {
      drain(kind, system, db, result, Metric.BLOAT_DRAIN);
    }
    var empty = report.median(kind, Metric.DRAIN, system.name());
    if (empty.isPresent()) {
      result.put(Metric.BLOAT_RATIO, 100.0 * result.get(Metric.BLOAT_DRAIN) / empty.getAsDouble());
    }
  }

  // ---------------------------------------------------------------------------- latency

  /**
   * Enqueues at {@code --latency-rate} jobs/s, paced by the clock, and measures each job's start
   * (by its handler) minus the wall-clock time just before its enqueue call. On PostgreSQL the
   * workers run in another JVM; on SQLite (one process by design) in this one.
   *
   * <p>Unmeasured first: {@code --latency-jit-jobs} enqueued one per call as fast as they go, then
   * {@code --latency-warmup-seconds} at the rate. At 25 jobs/s the paced warm-up alone gives the
   * hot paths a few hundred runs, below HotSpot's thresholds for its optimizing compiler (thousands
   * of invocations), so without the burst the measured jobs ran profiled C1 code that a server
   * which has run for a while no longer runs.
   */
  private void latency(StoreKind kind, JobSystem system, Map<Metric, Double> result)
      throws Exception {
    int burst = o.latencyJitJobs();
    int warm = burst + o.latencyWarmupJobs();
    int measured = o.latencyJobs();
    int total = warm + measured;
    long[] before = new long[total];
    long[] after = new long[total];
    long[] started;
    // after the last enqueue, how long the last jobs may take to start (JobRunr polls every 5 s)
    Duration tail =
        o.timeout().compareTo(Duration.ofSeconds(60)) < 0 ? o.timeout() : Duration.ofSeconds(60);
    try (Database db = fresh(kind, system, "latency");
        JobSystem.Session producer = system.open(db, o.threads())) {
      floor(kind, db, result);
      if (kind == StoreKind.POSTGRES) {
        Duration workerLimit =
            Duration.ofSeconds(120).plus(o.latencyWarmup()).plus(o.latencyDuration()).plus(tail);
        NotifyListener listener =
            NotifyListener.CHANNEL.isEmpty() ? null : new NotifyListener(db.jdbcUrl);
        try (WorkerProcess worker =
            WorkerProcess.start(
                system, db, o.threads(), total, workerLimit, o.workerJvmOptions())) {
          worker.awaitReady(System.nanoTime() + TimeUnit.SECONDS.toNanos(120));
          pace(producer, burst, total, before, after);
          started = worker.awaitStarts(total, System.nanoTime() + tail.toNanos());
        } finally {
          if (listener != null) {
            listener.close();
          }
        }
        if (listener != null) {
          List<Double> d = listener.delaysAfterReturn(before, after, warm);
          double[] sorted = Report.sorted(d.stream().filter(x -> !x.isNaN()).toList());
          report.note(
              kind,
              "latency",
              String.format(
                  Locale.ROOT,
                  "%s: NOTIFY on '%s' reached a"
                      + " listener in the benchmark JVM %.2f ms (p50) / %.2f ms (p99) after the enqueue call"
                      + " returned (%d of %d calls matched)",
                  system.name(),
                  NotifyListener.CHANNEL,
                  Report.percentile(sorted, 50),
                  Report.percentile(sorted, 99),
                  sorted.length,
                  d.size()));
        }
      } else {
        Probe probe = Probe.install(total);
        producer.startWorkers();
        pace(producer, burst, total, before, after);
        probe.awaitCount(total, System.nanoTime() + tail.toNanos());
        started = new long[total];
        for (int i = 0; i < total; i++) {
          started[i] = probe.startedMicros(i);
        }
      }
    }
    List<Double> fromCall = new ArrayList<>();
    List<Double> fromReturn = new ArrayList<>();
    List<Double> call = new ArrayList<>();
    int missing = 0;
    for (int i = warm; i < total; i++) {
      call.add((after[i] - before[i]) / 1000.0);
      if (started[i] == 0) {
        missing++;
        continue;
      }
      fromCall.add((started[i] - before[i]) / 1000.0);
      fromReturn.add((started[i] - after[i]) / 1000.0);
    }
    if (fromCall.isEmpty()) {
      throw new IllegalStateException("none of the " + measured + " measured jobs started");
    }
    double[] s = Report.sorted(fromCall);
    result.put(Metric.LATENCY_P50, Report.percentile(s, 50));
    result.put(Metric.LATENCY_P99, Report.percentile(s, 99));
    result.put(Metric.LATENCY_MAX, s[s.length - 1]);
    double[] r = Report.sorted(fromReturn);
    double[] c = Report.sorted(call);
    result.put(Metric.LATENCY_COMMIT_P50, Report.percentile(r, 50));
    result.put(Metric.LATENCY_COMMIT_P99, Report.percentile(r, 99));
    result.put(Metric.LATENCY_ENQUEUE_P50, Report.percentile(c, 50));
    result.put(Metric.LATENCY_ENQUEUE_P99, Report.percentile(c, 99));
    result.put(Metric.LATENCY_MISSING, (double) missing);
    if (missing > 0) {
      report.note(
          kind,
          "latency",
          system.name()
              + ": "
              + missing
              + " of "
              + measured
              + " measured jobs had not started by the deadline; percentiles are over the others");
    }
  }

  /**
   * The bare database's cost at the latency workload's rate ({@link JdbcFloor}). On SQLite on a
   * file of its own in the same directory, deleted after.
   */
  private void floor(StoreKind kind, Database db, Map<Metric, Double> result) throws Exception {
    int samples = Math.min(JdbcFloor.MAX_SAMPLES, o.latencyJobs());
    JdbcFloor.Result floor;
    if (kind == StoreKind.SQLITE) {
      Path file = db.file().resolveSibling(db.file().getFileName() + "-floor.db");
      Database.deleteSqlite(file);
      try {
        floor = JdbcFloor.measure(kind, "jdbc:sqlite:" + file, o.latencyRate(), samples);
      } finally {
        Database.deleteSqlite(file);
      }
    } else {
      floor = JdbcFloor.measure(kind, db.jdbcUrl, o.latencyRate(), samples);
    }
    double[] one = Report.sorted(Arrays.stream(floor.selectMicros()).boxed().toList());
    double[] row = Report.sorted(Arrays.stream(floor.insertMicros()).boxed().toList());
    result.put(Metric.LATENCY_FLOOR_SELECT_P50, Report.percentile(one, 50) / 1000);
    result.put(Metric.LATENCY_FLOOR_INSERT_P50, Report.percentile(row, 50) / 1000);
    result.put(Metric.LATENCY_FLOOR_INSERT_P99, Report.percentile(row, 99) / 1000);
  }

  /**
   * Enqueues jobs 0..n-1 one per call, the first {@code burst} as fast as they go and the rest at
   * the configured rate, recording the wall clock around each call.
   */
  private void pace(JobSystem.Session s, int burst, int n, long[] before, long[] after)
      throws Exception {
    for (int i = 0; i < burst; i++) {
      before[i] = Probe.wallMicros();
      s.enqueue(i, before[i]);
      after[i] = Probe.wallMicros();
    }
    double periodNanos = 1e9 / o.latencyRate();
    long start = System.nanoTime();
    for (int i = burst; i < n; i++) {
      long target = start + (long) ((i - burst) * periodNanos);
      for (long left = target - System.nanoTime(); left > 0; left = target - System.nanoTime()) {
        LockSupport.parkNanos(left);
      }
      before[i] = Probe.wallMicros();
      s.enqueue(i, before[i]);
      after[i] = Probe.wallMicros();
    }
  }

  // ---------------------------------------------------------------------------- mixed

  /**
   * {@code --mixed-producers} threads enqueue one job per call as fast as they can for {@code
   * --mixed-seconds} while the workers run in the same JVM, after a warm-up of the same,
   * unmeasured: {@code --mixed-warmup-seconds}, then {@link #JIT_STEP} steps for as long as the JIT
   * compiler threads used more than {@link #JIT_SETTLED} of a core in the last step or compilations
   * are still queued ({@link JitCpu#queued()}; where the JVM cannot tell, the share alone decides),
   * up to {@code --mixed-jit-settle-seconds} more. A cold first run measured about a third less; on
   * a slow VM the compiler threads were still taking half of this JVM's CPU after ten seconds,
   * which a server that has run for a while does not pay. Completed = enqueued minus what the
   * database holds unfinished at the end.
   */
  private void mixed(StoreKind kind, JobSystem system, Map<Metric, Double> result)
      throws Exception {
    try (Database db = fresh(kind, system, "mixed");
        JobSystem.Session s = system.open(db, o.threads())) {
      Probe probe = Probe.install(0);
      s.startWorkers();
      AtomicLong seq = new AtomicLong();
      JitCpu jit = new JitCpu();
      long warmStart = System.nanoTime();
      long warm = 0;
      if (!o.mixedWarmup().isZero()) {
        warm += produce(s, probe, o.mixedWarmup(), seq, 0).enqueued;
      }
      String settled = "no JIT settling";
      if (!o.mixedJitSettle().isZero() && jit.available()) {
        jit.sinceLast();
        long settleEnd = System.nanoTime() + o.mixedJitSettle().toNanos();
        settled = "JIT still compiling after the settling limit";
        while (System.nanoTime() - settleEnd < 0) {
          long t = System.nanoTime();
          warm += produce(s, probe, JIT_STEP, seq, 0).enqueued;
          double share = jit.sinceLast() / ((System.nanoTime() - t) / 1e6);
          int queued = JitCpu.queued();
          if (share <= JIT_SETTLED && queued <= 0) {
            settled =
                String.format(
                    Locale.ROOT,
                    "JIT settled: %.0f%% of a core in the last step, no compilation queued",
                    share * 100);
            break;
          }
        }
      }
      long deadline = System.nanoTime() + o.timeout().toNanos();
      while (probe.count() < warm || s.unfinished() > 0) {
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException(
              "the warm-up's " + warm + " jobs had not all finished after " + o.timeout());
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      }
      double warmSeconds = seconds(System.nanoTime() - warmStart);
      jit.sinceLast();
      OptionalLong cpu0 = MachineCpu.busyMillis();
      OptionalLong switches0 = MachineCpu.contextSwitches();
      Produced p = produce(s, probe, o.mixedDuration(), seq, probe.count());
      OptionalLong cpu1 = MachineCpu.busyMillis();
      OptionalLong switches1 = MachineCpu.contextSwitches();
      long unfinished = s.unfinished();
      long done = p.enqueued - unfinished;
      result.put(Metric.MIXED_COMPLETED, done / p.seconds);
      result.put(Metric.MIXED_ENQUEUED, p.enqueued / p.seconds);
      result.put(Metric.MIXED_BACKLOG_MAX, (double) p.maxBacklog);
      result.put(Metric.MIXED_BACKLOG_END, (double) unfinished);
      double jitMillis = jit.sinceLast();
      if (cpu0.isPresent() && cpu1.isPresent() && done > 0) {
        result.put(Metric.MIXED_CPU, (cpu1.getAsLong() - cpu0.getAsLong()) * 1000.0 / done);
      }
      if (switches0.isPresent() && switches1.isPresent() && done > 0) {
        result.put(
            Metric.MIXED_SWITCHES, (switches1.getAsLong() - switches0.getAsLong()) / (double) done);
      }
      if (jit.available()) {
        result.put(Metric.MIXED_JIT, jitMillis);
      }
      result.put(Metric.MIXED_WARMUP, warmSeconds);
      report.note(
          kind,
          "mixed",
          system.name()
              + ": backlog (enqueued, not started) every 5 s: "
              + p.trend
              + "; "
              + p.enqueued
              + " enqueued, "
              + done
              + " finished in "
              + String.format(Locale.ROOT, "%.1f", p.seconds)
              + String.format(
                  Locale.ROOT, " s (after %.1f s unmeasured; %s)", warmSeconds, settled));
    }
  }

  /** One step of the mixed workload's JIT settling. */
  static final Duration JIT_STEP = Duration.ofSeconds(2);

  /** The share of one core below which the JIT counts as settled. */
  static final double JIT_SETTLED = 0.10;

  /** What one phase of the mixed workload did. */
  private record Produced(long enqueued, double seconds, long maxBacklog, List<Long> trend) {}

  /**
   * Runs the mixed workload's producers for {@code duration}; {@code startedBefore} is the probe's
   * count of jobs started before this phase.
   */
  private Produced produce(
      JobSystem.Session s, Probe probe, Duration duration, AtomicLong seq, long startedBefore)
      throws Exception {
    AtomicLong enqueued = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long t0 = System.nanoTime();
    long end = t0 + duration.toNanos();
    List<Thread> producers = new ArrayList<>();
    for (int p = 0; p < o.mixedProducers(); p++) {
      Thread t =
          new Thread(
              () -> {
                try {
                  for (long i = 0;
                      i < MIXED_MAX_JOBS && failure.get() == null && System.nanoTime() - end < 0;
                      i++) {
                    s.enqueue(seq.getAndIncrement(), Probe.wallMicros());
                    enqueued.incrementAndGet();
                  }
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                }
              },
              "bench-producer-" + p);
      t.setDaemon(true);
      producers.add(t);
      t.start();
    }
    long maxBacklog = 0;
    List<Long> trend = new ArrayList<>();
    long nextMark = t0 + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() - end < 0) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
      long backlog = Math.max(0, enqueued.get() - (probe.count() - startedBefore));
      maxBacklog = Math.max(maxBacklog, backlog);
      if (System.nanoTime() - nextMark >= 0) {
        trend.add(backlog);
        nextMark += TimeUnit.SECONDS.toNanos(5);
      }
    }
    for (Thread t : producers) {
      t.join(30_000);
      if (t.isAlive()) {
        throw new IllegalStateException(
            t.getName() + " still inside an enqueue call 30 s after the end");
      }
    }
    double elapsed = seconds(System.nanoTime() - t0);
    if (failure.get() != null) {
      throw new IllegalStateException("a producer failed: " + failure.get(), failure.get());
    }
    return new Produced(enqueued.get(), elapsed, maxBacklog, trend);
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }
}
