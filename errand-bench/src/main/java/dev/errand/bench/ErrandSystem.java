package dev.errand.bench;

import dev.errand.Enqueue;
import dev.errand.Errand;
import dev.errand.JobState;
import dev.errand.JobType;
import dev.errand.jdbc.PostgresJobStore;
import dev.errand.jdbc.SqliteJobStore;
import dev.errand.spi.JobStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Errand with its PostgreSQL or SQLite store, configured as its users would: defaults plus one
 * queue.
 */
final class ErrandSystem implements JobSystem {
  /**
   * A profiling aid, unset by default (the store's own default, FULL, is what the benchmark
   * measures): {@code -Derrand.bench.sqliteSynchronous=NORMAL} shows what the fsync per commit
   * costs.
   */
  static final String SQLITE_SYNCHRONOUS = System.getProperty("errand.bench.sqliteSynchronous", "");

  /**
   * Profiling override: {@code -Derrand.bench.clusterEvents=false} builds the engines without
   * sharing their events between nodes (on by default), to show what that costs.
   */
  static final boolean CLUSTER_EVENTS =
      Boolean.parseBoolean(System.getProperty("errand.bench.clusterEvents", "true"));

  /**
   * Profiling override: {@code -Derrand.bench.cooldown=PT0S} (an ISO-8601 duration) sets both the
   * claim and the completion cooldown, instead of their default of 1 ms, to show what they save.
   */
  static final Duration COOLDOWN =
      Duration.parse(
          System.getProperty("errand.bench.cooldown", Errand.Builder.DEFAULT_COOLDOWN.toString()));

  /** The no-op job's payload. */
  record Noop(long seq, long enqueuedMicros) {}

  @Override
  public String name() {
    return "errand";
  }

  @Override
  public Optional<String> unsupported(StoreKind kind) {
    return Optional.empty();
  }

  @Override
  public String configuration(StoreKind kind, int threads) {
    String store =
        kind == StoreKind.POSTGRES
            ? "PostgresJobStore.create(HikariCP pool of " + Database.POOL_SIZE + ")"
            : SQLITE_SYNCHRONOUS.isEmpty()
                ? "SqliteJobStore.file(path) (synchronous=FULL, its default)"
                : "SqliteJobStore.builder(path).synchronous("
                    + SQLITE_SYNCHRONOUS
                    + ") (profiling override)";
    return "Errand.builder().store("
        + store
        + ").queue(\"default\", "
        + threads
        + ").scheduler(false)"
        + (CLUSTER_EVENTS ? "" : ".clusterEvents(false) (profiling override)")
        + (COOLDOWN.equals(Errand.Builder.DEFAULT_COOLDOWN)
            ? ""
            : ".claimCooldown("
                + COOLDOWN
                + ").completionCooldown("
                + COOLDOWN
                + ")"
                + " (profiling override)")
        + " (no stored schedules or maintenance occurrences among the measured jobs), every other"
        + " setting at its default (claim batch "
        + Errand.Builder.DEFAULT_CLAIM_BATCH
        + ", completion batch "
        + Errand.Builder.DEFAULT_COMPLETION_BATCH
        + ", claim and completion cooldown "
        + Errand.Builder.DEFAULT_COOLDOWN.toMillis()
        + " ms, fallback poll "
        + Errand.Builder.DEFAULT_POLL_INTERVAL.toMillis()
        + " ms; wake-up by in-JVM signal"
        + (kind == StoreKind.POSTGRES ? " and LISTEN/NOTIFY" : "")
        + ")";
  }

  @Override
  public String bloatEquivalent() {
    return "rows in state SUCCEEDED that finished an hour ago, written with one INSERT … SELECT"
        + " over a generated series into errand_jobs (Errand keeps finished jobs until its"
        + " retention, 1 day for SUCCEEDED by default, prunes them)";
  }

  @Override
  public Session open(Database db, int threads) {
    JobStore store =
        db.kind == StoreKind.POSTGRES
            ? PostgresJobStore.create(db.dataSource())
            : SQLITE_SYNCHRONOUS.isEmpty()
                ? SqliteJobStore.file(db.file())
                : SqliteJobStore.builder(db.file())
                    .synchronous(SqliteJobStore.Synchronous.valueOf(SQLITE_SYNCHRONOUS))
                    .build();
    store.open(); // migrations now, not inside the first timed enqueue
    Errand errand =
        Errand.builder()
            .store(store)
            .queue("default", threads)
            .scheduler(false)
            .clusterEvents(CLUSTER_EVENTS)
            .claimCooldown(COOLDOWN)
            .completionCooldown(COOLDOWN)
            .build();
    JobType<Noop> type =
        errand.register(
            JobType.of("bench-noop", Noop.class, (ctx, p) -> Probe.current().started(p.seq())));
    return new ErrandSession(db, errand, type);
  }

  private static final class ErrandSession implements Session {
    private final Database db;
    private final Errand errand;
    private final JobType<Noop> type;

    ErrandSession(Database db, Errand errand, JobType<Noop> type) {
      this.db = db;
      this.errand = errand;
      this.type = type;
    }

    @Override
    public void enqueue(long seq, long enqueuedMicros) {
      errand.enqueue(type, new Noop(seq, enqueuedMicros));
    }

    @Override
    public void enqueueBatch(long firstSeq, int count, long enqueuedMicros) {
      List<Noop> payloads = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        payloads.add(new Noop(firstSeq + i, enqueuedMicros));
      }
      errand.enqueueAll(type, payloads, Enqueue.now());
    }

    @Override
    public void startWorkers() {
      errand.start();
    }

    @Override
    public long unfinished() {
      var byState = errand.store().liveCounts().byState();
      return byState.get(JobState.SCHEDULED)
          + byState.get(JobState.QUEUED)
          + byState.get(JobState.RUNNING)
          + byState.get(JobState.RETRYING);
    }

    @Override
    public void insertFinished(int n) throws Exception {
      ErrandBulk.insertSucceeded(db, n);
    }

    @Override
    public void close() {
      errand.close();
    }
  }
}
