package dev.errand.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What to run and how big. The defaults are the sizes in issue 2's benchmark section; the smoke
 * test shrinks them. Every option has the form {@code --name value}.
 */
record BenchOptions(
    List<StoreKind> stores,
    String pgUrl,
    int runs,
    List<String> workloads,
    List<String> systems,
    int threads,
    int singleJobs,
    int batchJobs,
    int batchSize,
    int drainJobs,
    double latencyRate,
    Duration latencyDuration,
    Duration latencyWarmup,
    int latencyJitJobs,
    int mixedProducers,
    Duration mixedDuration,
    Duration mixedWarmup,
    Duration mixedJitSettle,
    int bloatRows,
    Duration timeout,
    Path sqliteDir,
    String dbPrefix,
    int wakeProbeSamples,
    List<String> workerJvmOptions,
    List<String> args) {

  static final List<String> WORKLOADS = List.of("enqueue", "drain", "latency", "mixed", "bloat");
  static final String DEFAULT_PG_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

  static final String USAGE =
      """
      usage: java -jar errand-bench.jar [options]
        --store postgres|sqlite|postgres,sqlite   databases to run on (default postgres)
        --pg-url URL            loopback PostgreSQL (default %s);
                                the benchmark creates and drops databases named PREFIX_* on it
        --runs N                measured runs per system and workload; the median is reported (3)
        --workload W[,W…]       all|enqueue|drain|latency|mixed|bloat (all)
        --peers S[,S…]          systems to run: errand,db-scheduler,jobrunr (all three)
        --threads N             worker threads of every system (8)
        --single-jobs N         enqueue: jobs enqueued one per call (5000)
        --batch-jobs N          enqueue: jobs enqueued with the batch API (50000)
        --batch-size N          jobs per batch call, also used to fill queues (10000)
        --drain-jobs N          drain and bloat: jobs queued before the workers start (20000)
        --latency-rate R        latency: jobs per second (25)
        --latency-seconds S     latency: measured seconds (20)
        --latency-warmup-seconds S   latency: unmeasured seconds before, at the same rate (30)
        --latency-jit-jobs N    latency: unmeasured jobs enqueued one per call as fast as they
                                go before that warm-up, so that both JVMs run compiled code, as a
                                server that has run for a while does (10000; 0 = none)
        --mixed-producers N     mixed: producer threads (4)
        --mixed-seconds S       mixed: seconds (20)
        --mixed-warmup-seconds S  mixed: unmeasured seconds before, same producers (10)
        --mixed-jit-settle-seconds S  mixed: after those, go on warming up in 2 s steps while the
                                JIT compiler threads use more than 10%% of a core or have work
                                queued, for at most S more seconds (60; 0 = a fixed warm-up)
        --bloat-rows N          bloat: finished rows present before the drain (1000000)
        --timeout-seconds S     give up on one run after this long (600)
        --sqlite-dir DIR        where SQLite files go (a new temp directory)
        --db-prefix NAME        prefix of the PostgreSQL databases the benchmark creates (errand_bench)
        --worker-java-options "OPTS"  extra JVM options of the latency worker JVM (e.g. JFR)
        --wake-probe N          wake-ups after 40 ms idle timed before and after each workload,
                                reported with it (50, 2 s each time; 0 = none)
      """
          .formatted(DEFAULT_PG_URL);

  /** Option names and their defaults. */
  private static final Map<String, String> DEFAULTS = defaultValues();

  private static Map<String, String> defaultValues() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("store", "postgres");
    m.put("pg-url", DEFAULT_PG_URL);
    m.put("runs", "3");
    m.put("workload", "all");
    m.put("peers", "errand,db-scheduler,jobrunr");
    m.put("threads", "8");
    m.put("single-jobs", "5000");
    m.put("batch-jobs", "50000");
    m.put("batch-size", "10000");
    m.put("drain-jobs", "20000");
    m.put("latency-rate", "25");
    m.put("latency-seconds", "20");
    m.put("latency-warmup-seconds", "30");
    m.put("latency-jit-jobs", "10000");
    m.put("mixed-producers", "4");
    m.put("mixed-seconds", "20");
    m.put("mixed-warmup-seconds", "10");
    m.put("mixed-jit-settle-seconds", "60");
    m.put("bloat-rows", "1000000");
    m.put("timeout-seconds", "600");
    m.put("sqlite-dir", "");
    m.put("db-prefix", "errand_bench");
    m.put("worker-java-options", "");
    m.put("wake-probe", "50");
    return Map.copyOf(m);
  }

  static BenchOptions defaults() {
    return parse();
  }

  /**
   * Parses {@code --name value} pairs over the defaults.
   *
   * @throws IllegalArgumentException naming the bad option or value
   */
  static BenchOptions parse(String... args) {
    Map<String, String> v = new LinkedHashMap<>(DEFAULTS);
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      if (!name.startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException(
            "expected '--option value', got '" + name + "'\n" + USAGE);
      }
      String key = name.substring(2);
      if (!DEFAULTS.containsKey(key)) {
        throw new IllegalArgumentException("unknown option " + name + "\n" + USAGE);
      }
      v.put(key, args[++i]);
    }
    String workerOpts = v.get("worker-java-options").trim();
    return new BenchOptions(
        list("store", v.get("store")).stream().map(StoreKind::parse).distinct().toList(),
        v.get("pg-url"),
        positive("runs", v.get("runs")),
        workloads(v.get("workload")),
        systems(v.get("peers")),
        positive("threads", v.get("threads")),
        positive("single-jobs", v.get("single-jobs")),
        positive("batch-jobs", v.get("batch-jobs")),
        positive("batch-size", v.get("batch-size")),
        positive("drain-jobs", v.get("drain-jobs")),
        positiveDouble("latency-rate", v.get("latency-rate")),
        seconds("latency-seconds", v.get("latency-seconds"), false),
        seconds("latency-warmup-seconds", v.get("latency-warmup-seconds"), true),
        nonNegative("latency-jit-jobs", v.get("latency-jit-jobs")),
        positive("mixed-producers", v.get("mixed-producers")),
        seconds("mixed-seconds", v.get("mixed-seconds"), false),
        seconds("mixed-warmup-seconds", v.get("mixed-warmup-seconds"), true),
        seconds("mixed-jit-settle-seconds", v.get("mixed-jit-settle-seconds"), true),
        positive("bloat-rows", v.get("bloat-rows")),
        seconds("timeout-seconds", v.get("timeout-seconds"), false),
        v.get("sqlite-dir").isBlank() ? null : Path.of(v.get("sqlite-dir")),
        prefix(v.get("db-prefix")),
        nonNegative("wake-probe", v.get("wake-probe")),
        workerOpts.isEmpty() ? List.of() : Arrays.asList(workerOpts.split("\\s+")),
        List.of(args));
  }

  /** Jobs measured in the latency workload (after the warm-up). */
  int latencyJobs() {
    return (int) Math.round(latencyRate * latencyDuration.toMillis() / 1000.0);
  }

  /** Unmeasured jobs sent before them. */
  int latencyWarmupJobs() {
    return (int) Math.round(latencyRate * latencyWarmup.toMillis() / 1000.0);
  }

  private static List<String> list(String name, String value) {
    List<String> out = new ArrayList<>();
    for (String s : value.split(",")) {
      if (!s.isBlank()) {
        out.add(s.trim().toLowerCase(Locale.ROOT));
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(
          "--" + name + " needs at least one value, got '" + value + "'");
    }
    return List.copyOf(out);
  }

  private static List<String> workloads(String value) {
    List<String> w = list("workload", value);
    if (w.contains("all")) {
      return WORKLOADS;
    }
    for (String s : w) {
      if (!WORKLOADS.contains(s)) {
        throw new IllegalArgumentException("unknown workload '" + s + "': use all or " + WORKLOADS);
      }
    }
    return WORKLOADS.stream().filter(w::contains).toList();
  }

  private static List<String> systems(String value) {
    List<String> s = list("peers", value);
    s.forEach(JobSystem::named);
    return s;
  }

  private static int positive(String name, String value) {
    return whole(name, value, 1);
  }

  private static int nonNegative(String name, String value) {
    return whole(name, value, 0);
  }

  private static int whole(String name, String value, int least) {
    int n;
    try {
      n = Integer.parseInt(value.trim().replace("_", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "--" + name + " needs a whole number, got '" + value + "'", e);
    }
    if (n < least) {
      throw new IllegalArgumentException("--" + name + " must be at least " + least + ", got " + n);
    }
    return n;
  }

  private static double positiveDouble(String name, String value) {
    double d = number(name, value);
    if (!(d > 0) || d > 10_000) {
      throw new IllegalArgumentException(
          "--" + name + " must be above 0 and at most 10000, got " + value);
    }
    return d;
  }

  private static Duration seconds(String name, String value, boolean zeroOk) {
    double s = number(name, value);
    if (s < 0 || (!zeroOk && s == 0) || s > 86_400) {
      throw new IllegalArgumentException(
          "--"
              + name
              + " must be "
              + (zeroOk ? "0" : "above 0")
              + " to 86400 seconds, got "
              + value);
    }
    return Duration.ofMillis(Math.round(s * 1000));
  }

  private static double number(String name, String value) {
    try {
      return Double.parseDouble(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " needs a number, got '" + value + "'", e);
    }
  }

  private static String prefix(String value) {
    if (!value.matches("[a-z_][a-z0-9_]{0,40}")) {
      throw new IllegalArgumentException(
          "--db-prefix must be 1-41 lower-case letters, digits or _, got '" + value + "'");
    }
    return value;
  }
}
