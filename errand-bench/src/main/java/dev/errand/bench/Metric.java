package dev.errand.bench;

/** One number a workload measures per run. */
enum Metric {
  SINGLE_ENQUEUE("enqueue", "enqueue, one job per call", "jobs/s", Direction.HIGHER),
  BATCH_ENQUEUE("enqueue", "enqueue, batch API", "jobs/s", Direction.HIGHER),
  DRAIN("drain", "drain rate", "jobs/s", Direction.HIGHER),
  DRAIN_FIRST_START("drain", "first job started after workers start", "ms", Direction.INFO),
  LATENCY_P50("latency", "enqueue-to-start p50", "ms", Direction.LOWER),
  LATENCY_P99("latency", "enqueue-to-start p99", "ms", Direction.LOWER),
  LATENCY_MAX("latency", "enqueue-to-start max", "ms", Direction.INFO),
  LATENCY_COMMIT_P50("latency", "start after enqueue call returned, p50", "ms", Direction.INFO),
  LATENCY_COMMIT_P99("latency", "start after enqueue call returned, p99", "ms", Direction.INFO),
  LATENCY_ENQUEUE_P50("latency", "enqueue call duration p50", "ms", Direction.INFO),
  LATENCY_ENQUEUE_P99("latency", "enqueue call duration p99", "ms", Direction.INFO),
  LATENCY_FLOOR_SELECT_P50(
      "latency", "floor: bare JDBC SELECT 1 at the rate, p50", "ms", Direction.INFO),
  LATENCY_FLOOR_INSERT_P50(
      "latency",
      "floor: bare JDBC one-row INSERT, durable commit, at the rate, p50",
      "ms",
      Direction.INFO),
  LATENCY_FLOOR_INSERT_P99(
      "latency",
      "floor: bare JDBC one-row INSERT, durable commit, at the rate, p99",
      "ms",
      Direction.INFO),
  LATENCY_MISSING("latency", "jobs not started by the deadline", "jobs", Direction.INFO),
  MIXED_COMPLETED("mixed", "completed while producers run", "jobs/s", Direction.HIGHER),
  MIXED_ENQUEUED("mixed", "enqueued by the producers", "jobs/s", Direction.INFO),
  MIXED_BACKLOG_MAX(
      "mixed", "backlog max (enqueued, not started; sampled every 100 ms)", "jobs", Direction.INFO),
  MIXED_BACKLOG_END(
      "mixed", "backlog at the end (unfinished in the database)", "jobs", Direction.INFO),
  MIXED_CPU(
      "mixed",
      "machine CPU per 1,000 completed jobs (all processes, all cores; Linux)",
      "ms",
      Direction.INFO),
  MIXED_SWITCHES(
      "mixed",
      "context switches per completed job (all processes, all cores; Linux)",
      "switches",
      Direction.INFO),
  MIXED_JIT(
      "mixed",
      "JIT compiler CPU in the benchmark JVM while measured (Linux)",
      "ms",
      Direction.INFO),
  MIXED_WARMUP(
      "mixed",
      "warm-up before the measured window (fixed part plus JIT settling)",
      "s",
      Direction.INFO),
  BLOAT_DRAIN("bloat", "drain rate with finished rows present", "jobs/s", Direction.HIGHER),
  BLOAT_RATIO("bloat", "that rate as % of the empty-table drain median", "%", Direction.INFO),
  BLOAT_INSERT(
      "bloat", "bulk insert of the finished rows (not timed in the rate)", "s", Direction.INFO);

  /** Which way is better; INFO numbers get no ratio. */
  enum Direction {
    HIGHER,
    LOWER,
    INFO
  }

  final String workload;
  final String label;
  final String unit;
  final Direction direction;

  Metric(String workload, String label, String unit, Direction direction) {
    this.workload = workload;
    this.label = label;
    this.unit = unit;
    this.direction = direction;
  }
}
