package dev.errand.bench;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Errand's benchmark, side by side with db-scheduler and JobRunr on the same database in the same
 * run: enqueue rate (single and batch), drain rate, enqueue-to-start latency (across JVMs on
 * PostgreSQL), a producers-plus-workers mix, and drain rate with a million finished rows present.
 * Every system gets a fresh database per measured run, 8 worker threads and a no-op handler; the
 * median of the runs is reported with every run's value. Results go to standard output as Markdown;
 * progress and logs go to standard error.
 *
 * <pre>
 * java -jar errand-bench/target/errand-bench.jar --store postgres --runs 3
 * java -jar errand-bench/target/errand-bench.jar --store sqlite --runs 3
 * </pre>
 */
public final class Bench {
  private Bench() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("schedules")) {
      ScheduleWorkload.main(java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length > 0 && args[0].equals("email")) {
      EmailWorkload.main(java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length > 0 && args[0].equals("civic")) {
      CivicWorkload.main(java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length > 0 && args[0].equals("http")) {
      HttpApiWorkload.main(java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length > 0 && args[0].equals("jmh")) {
      org.openjdk.jmh.Main.main(java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
      System.out.print(BenchOptions.USAGE);
      return;
    }
    BenchOptions o;
    try {
      o = BenchOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    run(o, System.out, System.err);
    System.exit(0);
  }

  /** Runs everything {@code o} asks for, prints the report to {@code out}, and returns it. */
  static Report run(BenchOptions o, PrintStream out, PrintStream progress) throws Exception {
    Report report = new Report();
    PgServer pg = o.stores().contains(StoreKind.POSTGRES) ? new PgServer(o.pgUrl()) : null;
    Path sqliteDir =
        o.sqliteDir() != null ? o.sqliteDir() : Files.createTempDirectory("errand-bench-sqlite");
    List<JobSystem> systems = o.systems().stream().map(JobSystem::named).toList();
    List<String> names = systems.stream().map(JobSystem::name).toList();
    List<String> workloads = new ArrayList<>(o.workloads());
    if (workloads.contains("bloat") && !workloads.contains("drain")) {
      workloads.add(workloads.indexOf("bloat"), "drain"); // bloat is reported relative to it
    }

    out.println("# Errand benchmark");
    out.println();
    out.println(
        "Run "
            + OffsetDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)
            + " with `"
            + commandLine(o)
            + "`.");
    printMachine(out, pg);
    printSetup(out, o, systems);

    Workloads w = new Workloads(o, pg, sqliteDir, report, progress);
    if (pg != null) {
      pg.dropAll(o.dbPrefix());
    }
    for (StoreKind kind : o.stores()) {
      List<JobSystem> runnable = new ArrayList<>();
      for (JobSystem s : systems) {
        s.unsupported(kind)
            .ifPresentOrElse(
                why -> {
                  for (String wl : workloads) {
                    report.note(kind, wl, s.name() + " skipped on " + kind.label() + ": " + why);
                  }
                },
                () -> runnable.add(s));
      }
      for (String workload : workloads) {
        String loadBefore = loadAverage();
        String wakeBefore =
            o.wakeProbeSamples() > 0 ? WakeProbe.describe(o.wakeProbeSamples()) : null;
        for (int run = 1; run <= o.runs(); run++) {
          for (JobSystem s : runnable) {
            w.run(kind, workload, run, s);
          }
        }
        report.note(
            kind,
            workload,
            "load average (1, 5, 15 min) before this workload: "
                + loadBefore
                + "; after: "
                + loadAverage()
                + " (on "
                + Runtime.getRuntime().availableProcessors()
                + " cores; anything else running on the machine shows up here)");
        if (wakeBefore != null) {
          report.note(
              kind,
              workload,
              "a thread woken after an idle gap, before this workload: "
                  + wakeBefore
                  + "; after: "
                  + WakeProbe.describe(o.wakeProbeSamples())
                  + " (how fast the VM is at the steps of a paced job right now; it can change"
                  + " within the hour)");
        }
        if (workload.equals("bloat")) {
          for (JobSystem s : runnable) {
            report.note(kind, "bloat", s.name() + ": " + s.bloatEquivalent());
          }
        }
        report.printWorkload(progress, kind, workload, names);
      }
    }

    out.println();
    out.println("## Results");
    out.println();
    out.println(
        "Median of "
            + o.runs()
            + " run(s); `runs` lists every run in order. The last column"
            + " is Errand's median divided by the system's (rates) or the system's divided by Errand's"
            + " (latencies): above 1 means Errand is better.");
    for (StoreKind kind : o.stores()) {
      for (String workload : workloads) {
        report.printWorkload(out, kind, workload, names);
      }
      if (names.contains("errand")) {
        printTargets(out, report, kind, o);
      }
    }
    return report;
  }

  private static String commandLine(BenchOptions o) {
    StringBuilder sb = new StringBuilder("java -jar errand-bench/target/errand-bench.jar");
    for (String a : o.args()) {
      sb.append(' ').append(a.isEmpty() || a.contains(" ") ? "'" + a + "'" : a);
    }
    return sb.toString();
  }

  private static void printMachine(PrintStream out, PgServer pg) throws Exception {
    out.println();
    out.println("## Machine");
    out.println();
    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    out.printf(
        Locale.ROOT, "- cores: %d (%s)%n", Runtime.getRuntime().availableProcessors(), cpuModel());
    out.printf(
        Locale.ROOT, "- memory: %.1f GiB%n", os.getTotalMemorySize() / (1024.0 * 1024 * 1024));
    out.printf(
        "- OS: %s %s (%s)%n",
        System.getProperty("os.name"),
        System.getProperty("os.version"),
        System.getProperty("os.arch"));
    out.printf(
        "- Java: %s %s (%s), max heap %d MiB%n",
        System.getProperty("java.vm.name"),
        System.getProperty("java.runtime.version"),
        System.getProperty("java.vm.vendor"),
        Runtime.getRuntime().maxMemory() / (1024 * 1024));
    if (pg != null) {
      Map<String, String> f = pg.facts();
      out.println("- PostgreSQL: " + f.remove("version"));
      out.println("- PostgreSQL settings: " + f);
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite::memory:");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT sqlite_version()")) {
      rs.next();
      out.println(
          "- SQLite: "
              + rs.getString(1)
              + " (xerial sqlite-jdbc "
              + c.getMetaData().getDriverVersion()
              + ")");
    }
    Path fs = Path.of(System.getProperty("java.io.tmpdir"));
    out.println("- temp directory (SQLite files): " + fs + " on " + Files.getFileStore(fs).type());
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (Exception e) {
      return String.format(
          Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (Exception ignored) {
      // not Linux
    }
    return System.getProperty("os.arch");
  }

  private static void printSetup(PrintStream out, BenchOptions o, List<JobSystem> systems) {
    out.println();
    out.println("## Setup");
    out.println();
    out.printf(
        Locale.ROOT,
        "- every system: %d worker threads, a no-op handler, a fresh database"
            + " per measured run (PostgreSQL: a new database; SQLite: a new file), %d run(s), median"
            + " reported%n",
        o.threads(),
        o.runs());
    out.printf(
        Locale.ROOT,
        "- enqueue: %,d jobs one per call from one thread; %,d jobs in batches of"
            + " %,d through the batch API%n",
        o.singleJobs(),
        o.batchJobs(),
        o.batchSize());
    out.printf(
        Locale.ROOT,
        "- drain: %,d jobs queued (batch API, not timed), then the workers start;"
            + " timed from the start call until the database holds no unfinished job%n",
        o.drainJobs());
    out.printf(
        Locale.ROOT,
        "- latency: %.0f jobs/s, one per call, %.0f s measured after %,d unmeasured jobs"
            + " enqueued one per call as fast as they go (so that the JIT has compiled both JVMs'"
            + " hot paths) and %.0f s of warm-up at the rate; enqueue-to-start = the handler's wall-clock start minus the wall clock just"
            + " before the enqueue call (microseconds, one machine, one clock); first a floor: up to %d"
            + " SELECT 1 and one-row durable INSERT calls on a bare JDBC connection at the same"
            + " rate (SQLite: a file of its own in the same directory, WAL, synchronous=FULL, its WAL"
            + " grown to 4 MiB and checkpointed first). PostgreSQL: workers in a separate JVM"
            + " started with this JVM's class path; SQLite: same JVM%n",
        o.latencyRate(),
        o.latencyDuration().toMillis() / 1000.0,
        o.latencyJitJobs(),
        o.latencyWarmup().toMillis() / 1000.0,
        JdbcFloor.MAX_SAMPLES);
    out.printf(
        Locale.ROOT,
        "- mixed: %d producer threads enqueue one job per call as fast as they can"
            + " for %.0f s, after %.0f s of the same unmeasured and then, for at most %.0f s more,"
            + " until the JIT compiler threads use at most %.0f%% of a core over %d s and have no"
            + " compilation queued; the workers"
            + " run in the same JVM%n",
        o.mixedProducers(),
        o.mixedDuration().toMillis() / 1000.0,
        o.mixedWarmup().toMillis() / 1000.0,
        o.mixedJitSettle().toMillis() / 1000.0,
        Workloads.JIT_SETTLED * 100,
        Workloads.JIT_STEP.toSeconds());
    out.printf(
        Locale.ROOT,
        "- bloat: drain of %,d jobs with %,d finished rows already in the table,"
            + " inserted with bulk SQL and followed by VACUUM ANALYZE (SQLite: ANALYZE); reported with"
            + " its ratio to the empty-table drain median%n",
        o.drainJobs(),
        o.bloatRows());
    for (StoreKind kind : o.stores()) {
      out.println();
      out.println("Configuration on " + kind.label() + ":");
      out.println();
      for (JobSystem s : systems) {
        out.println(
            "- **"
                + s.name()
                + "**: "
                + s.unsupported(kind)
                    .map(w -> "not run: " + w)
                    .orElse(s.configuration(kind, o.threads())));
      }
    }
  }

  /** Errand's medians against issue 2's targets. */
  private static void printTargets(PrintStream out, Report r, StoreKind kind, BenchOptions o) {
    out.printf("%n### Errand against the targets — %s%n%n", kind.label());
    out.println("| target | Errand median | verdict |");
    out.println("|---|---:|---|");
    if (kind == StoreKind.POSTGRES) {
      atLeast(out, r, kind, Metric.BATCH_ENQUEUE, 50_000, "batch enqueue ≥ 50,000 jobs/s");
      atLeast(out, r, kind, Metric.DRAIN, 20_000, "drain ≥ 20,000 jobs/s");
      atMost(out, r, kind, Metric.LATENCY_P50, 2, "latency p50 ≤ 2 ms (cross-JVM)");
      atMost(out, r, kind, Metric.LATENCY_P99, 5, "latency p99 ≤ 5 ms (cross-JVM)");
      atLeast(out, r, kind, Metric.MIXED_COMPLETED, 4_500, "mixed ≥ 4,500 jobs/s completed");
      OptionalDouble rate = r.median(kind, Metric.MIXED_COMPLETED, "errand");
      OptionalDouble max = r.median(kind, Metric.MIXED_BACKLOG_MAX, "errand");
      if (rate.isPresent() && max.isPresent()) {
        double ms = 1000 * max.getAsDouble() / Math.max(1, rate.getAsDouble());
        out.printf(
            Locale.ROOT,
            "| mixed backlog bounded (max ≤ 1 s of completions) | %,.0f jobs = %,.0f ms of work | %s |%n",
            max.getAsDouble(),
            ms,
            ms <= 1000 ? "met" : "MISSED");
      }
      atLeast(out, r, kind, Metric.BLOAT_RATIO, 80, "bloat drain ≥ 80% of empty");
    } else {
      atLeast(out, r, kind, Metric.BATCH_ENQUEUE, 100_000, "batch enqueue ≥ 100,000 jobs/s");
      atLeast(out, r, kind, Metric.DRAIN, 20_000, "drain ≥ 20,000 jobs/s");
      atMost(out, r, kind, Metric.LATENCY_P99, 2, "latency p99 ≤ 2 ms");
    }
  }

  private static void atLeast(
      PrintStream out, Report r, StoreKind k, Metric m, double target, String label) {
    verdict(out, r, k, m, target, label, true);
  }

  private static void atMost(
      PrintStream out, Report r, StoreKind k, Metric m, double target, String label) {
    verdict(out, r, k, m, target, label, false);
  }

  private static void verdict(
      PrintStream out,
      Report r,
      StoreKind k,
      Metric m,
      double target,
      String label,
      boolean higher) {
    if (r.values(k, m, "errand").isEmpty()) {
      return;
    }
    OptionalDouble v = r.median(k, m, "errand");
    if (v.isEmpty()) {
      out.printf("| %s | failed | MISSED (no successful run) |%n", label);
      return;
    }
    double x = v.getAsDouble();
    boolean met = higher ? x >= target : x <= target;
    String gap = Report.format(Math.abs(x - target), m) + " " + m.unit;
    String verdict;
    if (higher) {
      verdict =
          met
              ? String.format(
                  Locale.ROOT, "met, %s above (+%.0f%%)", gap, (x - target) / target * 100)
              : String.format(
                  Locale.ROOT, "MISSED by %s (%.0f%% short)", gap, (target - x) / target * 100);
    } else {
      verdict =
          met
              ? String.format(Locale.ROOT, "met, %s below", gap)
              : String.format(Locale.ROOT, "MISSED by %s (%.1f× the target)", gap, x / target);
    }
    out.printf(Locale.ROOT, "| %s | %s %s | %s |%n", label, Report.format(x, m), m.unit, verdict);
  }
}
