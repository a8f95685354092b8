package dev.errand.examples.kitchen;

import dev.errand.examples.ExampleDatabase;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Settings of {@link KitchenApp}. Immutable; build with {@link #builder(Path)}.
 *
 * @param database where the catalog, stock batches, operations, KPI entries and jobs live (a SQLite
 *     file in the data directory by default)
 * @param host address the HTTP server binds (127.0.0.1)
 * @param port HTTP port, 0 for any free one
 * @param workers tasks run at once ({@value Builder#DEFAULT_WORKERS})
 * @param maxAttempts attempts of a task in all ({@value Builder#DEFAULT_MAX_ATTEMPTS}: the first
 *     run and two retries, as 004)
 * @param backoff delay before the first retry, doubling after (2 s, so 2 s then 4 s, as 004)
 * @param workDelay how long a task takes besides its database work, standing in for the seconds
 *     004's remote inserts took (1.5 s; zero in tests)
 * @param beforeWork called on the worker thread before each attempt's database work, after {@code
 *     workDelay}; tests block here to hold a task while they look at the page
 * @param kpiSink where KPI entries go, inside the task's transaction (the {@code kpi_entries} table
 *     by default)
 * @param shutdownGrace how long {@link KitchenApp#close()} lets running tasks finish before it
 *     interrupts them and hands them back to the database (10 s)
 * @param clock the clock of the application's own timestamps (batches, operations, KPI entries)
 */
public record KitchenConfig(
    Supplier<ExampleDatabase> database,
    String host,
    int port,
    int workers,
    int maxAttempts,
    Duration backoff,
    Duration workDelay,
    BeforeWork beforeWork,
    KpiSink kpiSink,
    Duration shutdownGrace,
    Clock clock) {

  /** A hook run on the worker thread before a task's database work. */
  @FunctionalInterface
  public interface BeforeWork {
    /**
     * Runs before attempt {@code attempt} of job {@code jobId} touches the database.
     *
     * @throws InterruptedException when Errand interrupts the attempt (shutdown, cancel)
     */
    void run(long jobId, int attempt) throws InterruptedException;
  }

  /**
   * Checks the values.
   *
   * @throws IllegalArgumentException naming the bad value
   */
  public KitchenConfig {
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(beforeWork, "beforeWork");
    Objects.requireNonNull(kpiSink, "kpiSink");
    Objects.requireNonNull(clock, "clock");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0-65535, got " + port);
    }
    if (workers < 1) {
      throw new IllegalArgumentException("workers must be at least 1, got " + workers);
    }
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
    }
    if (backoff == null || backoff.isNegative() || backoff.isZero()) {
      throw new IllegalArgumentException("backoff must be positive, got " + backoff);
    }
    if (workDelay == null || workDelay.isNegative()) {
      throw new IllegalArgumentException("workDelay must be zero or positive, got " + workDelay);
    }
    if (shutdownGrace == null || shutdownGrace.isNegative()) {
      throw new IllegalArgumentException(
          "shutdownGrace must be zero or positive, got " + shutdownGrace);
    }
  }

  /** Defaults, with the SQLite file {@code kitchen.db} in {@code dataDir}. */
  public static Builder builder(Path dataDir) {
    return new Builder(dataDir);
  }

  /** Builds a {@link KitchenConfig}. */
  public static final class Builder {
    /** Tasks run at once by default. */
    public static final int DEFAULT_WORKERS = 2;

    /** Attempts of a task by default: the first run and two retries. */
    public static final int DEFAULT_MAX_ATTEMPTS = 3;

    /** First retry delay by default (then 4 s). */
    public static final Duration DEFAULT_BACKOFF = Duration.ofSeconds(2);

    /** The stand-in for 004's remote round trips. */
    public static final Duration DEFAULT_WORK_DELAY = Duration.ofMillis(1500);

    private Supplier<ExampleDatabase> database;
    private String host = "127.0.0.1";
    private int port;
    private int workers = DEFAULT_WORKERS;
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private Duration backoff = DEFAULT_BACKOFF;
    private Duration workDelay = DEFAULT_WORK_DELAY;
    private BeforeWork beforeWork = (jobId, attempt) -> {};
    private KpiSink kpiSink = KpiSink.table();
    private Duration shutdownGrace = Duration.ofSeconds(10);
    private Clock clock = Clock.systemUTC();

    private Builder(Path dataDir) {
      Objects.requireNonNull(dataDir, "dataDir");
      this.database = () -> ExampleDatabase.sqlite(dataDir.resolve("kitchen.db"));
    }

    /** Where the kitchen keeps its data and jobs; each call must open a new database. */
    public Builder database(Supplier<ExampleDatabase> database) {
      this.database = database;
      return this;
    }

    /** The address the app's own server binds (127.0.0.1). */
    public Builder host(String host) {
      this.host = host;
      return this;
    }

    /** The app's own HTTP port, 0 for any free one. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** Tasks run at once, at least 1. */
    public Builder workers(int workers) {
      this.workers = workers;
      return this;
    }

    /** Attempts of a task in all, at least 1. */
    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** Delay before the first retry, doubling for each later one; positive. */
    public Builder backoff(Duration backoff) {
      this.backoff = backoff;
      return this;
    }

    /** The stand-in for 004's slow remote calls before each attempt's database work. */
    public Builder workDelay(Duration workDelay) {
      this.workDelay = workDelay;
      return this;
    }

    /** A hook on the worker thread before each attempt's database work (tests hold tasks here). */
    public Builder beforeWork(BeforeWork beforeWork) {
      this.beforeWork = beforeWork;
      return this;
    }

    /** Where KPI entries go, inside each task's transaction. */
    public Builder kpiSink(KpiSink kpiSink) {
      this.kpiSink = kpiSink;
      return this;
    }

    /** How long {@link KitchenApp#close()} lets running tasks finish before interrupting them. */
    public Builder shutdownGrace(Duration grace) {
      this.shutdownGrace = grace;
      return this;
    }

    /** The clock of the kitchen's own timestamps (Errand keeps the system clock). */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /**
     * The configuration.
     *
     * @throws IllegalArgumentException naming a bad value
     */
    public KitchenConfig build() {
      return new KitchenConfig(
          database,
          host,
          port,
          workers,
          maxAttempts,
          backoff,
          workDelay,
          beforeWork,
          kpiSink,
          shutdownGrace,
          clock);
    }
  }
}
