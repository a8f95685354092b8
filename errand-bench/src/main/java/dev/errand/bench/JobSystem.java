package dev.errand.bench;

import java.util.List;
import java.util.Optional;

/**
 * A job library under test. Every system runs the same no-op job: its handler reports its sequence
 * number to {@link Probe#current()} and returns.
 */
interface JobSystem {
  /** The name used on the command line and in reports. */
  String name();

  /** Why this system cannot run on {@code kind}, or empty if it can. */
  Optional<String> unsupported(StoreKind kind);

  /** The configuration the benchmark gives it on {@code kind}, for the report. */
  String configuration(StoreKind kind, int threads);

  /** What the bloat workload puts in this system's table, and why that is the fair equivalent. */
  String bloatEquivalent();

  /**
   * Connects to {@code db}, creating the system's schema if it is missing, and returns a session
   * that can enqueue at once. Workers do not run until {@link Session#startWorkers()}.
   */
  Session open(Database db, int threads) throws Exception;

  /** All systems, in report order. */
  static List<JobSystem> all() {
    return List.of(new ErrandSystem(), new DbSchedulerSystem(), new JobRunrSystem());
  }

  /** The system named {@code name}. */
  static JobSystem named(String name) {
    for (JobSystem s : all()) {
      if (s.name().equals(name.trim())) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown system '" + name + "': use errand, db-scheduler or jobrunr");
  }

  /** One connection of one system to one database. Not thread-safe unless a method says so. */
  interface Session extends AutoCloseable {
    /** Enqueues job {@code seq} with one call to the system's single-job API. Thread-safe. */
    void enqueue(long seq, long enqueuedMicros) throws Exception;

    /**
     * Enqueues jobs {@code firstSeq .. firstSeq + count - 1} with one call to the system's batch
     * API.
     */
    void enqueueBatch(long firstSeq, int count, long enqueuedMicros) throws Exception;

    /** Starts this system's workers in this JVM. */
    void startWorkers() throws Exception;

    /** Jobs stored and not yet finished, read from the database. */
    long unfinished() throws Exception;

    /**
     * Puts {@code n} rows into the system's table with bulk SQL (not its API) that stand for
     * finished jobs (see {@link JobSystem#bloatEquivalent()}).
     */
    void insertFinished(int n) throws Exception;

    /** Stops the workers (if started) and releases the system's resources; not the database. */
    @Override
    void close() throws Exception;
  }
}
