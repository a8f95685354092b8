package dev.errand.spring;

import dev.errand.AfterResponseLane;
import dev.errand.Errand;
import dev.errand.Saturation;
import dev.errand.jdbc.SchemaMode;
import dev.errand.jdbc.SqliteJobStore;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * Errand's Spring Boot configuration, under {@code errand.*}. Every setting maps onto one {@link
 * Errand.Builder} (or store builder) setting and has the same default; see docs/spring-boot.md for
 * the table.
 *
 * <p>Values are validated when bound, by the same checks the core builders apply: an invalid value
 * fails the application's startup with a message that names the property, the value and the rule
 * (for example {@code errand.lease=PT0.5S is invalid: lease must be at least PT1S, got PT0.5S}).
 * Nothing is silently clamped.
 */
@ConfigurationProperties(prefix = "errand")
public class ErrandProperties implements Validator {
  /** Queue served with this concurrency when {@code errand.queues} names none. */
  public static final String DEFAULT_QUEUE = "default";

  /** Concurrency of {@link #DEFAULT_QUEUE} when {@code errand.queues} names no queue. */
  public static final int DEFAULT_CONCURRENCY = 4;

  /** Which store to build from the application's DataSource. */
  public enum StoreKind {
    /** PostgreSQL or SQLite, as {@code DatabaseMetaData.getDatabaseProductName()} says. */
    AUTO,
    /** {@code PostgresJobStore} on the DataSource. */
    POSTGRES,
    /** {@code SqliteJobStore} on the DataSource's database file. */
    SQLITE
  }

  /** Whether to auto-configure Errand at all. */
  private boolean enabled = true;

  /** Which job store to build from the application's DataSource. */
  private StoreKind store = StoreKind.AUTO;

  /**
   * What the store does about its schema on start: MIGRATE applies pending migrations (under a
   * lock, so one node migrates), VALIDATE fails if any are pending, NONE touches nothing (the plain
   * SQL ships in errand-jdbc for your own migration tool).
   */
  private SchemaMode schemaMode = SchemaMode.MIGRATE;

  /** This node's id in the node registry and in jobs; random when not set. */
  private String nodeId;

  /**
   * Whether this node runs workers for {@code errand.queues}. False makes a producer node: it
   * enqueues and manages jobs but runs none.
   */
  private boolean workersEnabled = true;

  /**
   * Queues this node serves, each with its concurrency (jobs at once), e.g. {@code
   * errand.queues.email=2}. When none is named, the node serves {@code default} with 4.
   */
  private Map<String, Integer> queues = new LinkedHashMap<>();

  /**
   * How long a claim holds a job without a heartbeat; a dead node's jobs are rescued after at most
   * lease + rescue interval. At least 1s.
   */
  private Duration lease = Duration.ofSeconds(15);

  /** How often leases of running jobs are renewed; lease / 3 when not set, and below lease / 2. */
  private Duration heartbeatInterval;

  /** How often expired leases are looked for. */
  private Duration rescueInterval = Duration.ofSeconds(5);

  /**
   * How often an idle worker looks for due jobs without being woken. A fallback: enqueues in this
   * JVM, commits of transactional enqueues and PostgreSQL notifications wake workers at once.
   */
  private Duration pollInterval = Duration.ofSeconds(1);

  /** Most jobs claimed in one store call. */
  private int claimBatch = 100;

  /** Most outcomes written in one store call. */
  private int completionBatch = 1000;

  /**
   * Least time between two claims of one queue when the first was not full, so that jobs enqueued
   * meanwhile share one claim; 0 claims on every wake-up. At most 1 s.
   */
  private Duration claimCooldown = Duration.ofMillis(1);

  /**
   * Least time between two outcome writes when the first was not a full batch, so that outcomes
   * finished meanwhile share one write; 0 writes at once. At most 1 s.
   */
  private Duration completionCooldown = Duration.ofMillis(1);

  /**
   * How long shutdown lets running jobs finish before interrupting them and releasing them to other
   * nodes.
   */
  private Duration shutdownGrace = Duration.ofSeconds(10);

  /** After how many lease expiries a job is failed instead of run again. */
  private int quarantineAfterRescues = 3;

  /** How often finished jobs past their retention are deleted. */
  private Duration pruneInterval = Duration.ofMinutes(1);

  /** How often this node refreshes its registry entry; six missed beats remove it. */
  private Duration nodeHeartbeatInterval = Duration.ofSeconds(10);

  /** How often handles watching jobs run by other nodes read their state. */
  private Duration watchInterval = Duration.ofMillis(200);

  private final Retention retention = new Retention();
  private final Scheduler scheduler = new Scheduler();
  private final Sqlite sqlite = new Sqlite();
  private final AfterResponse afterResponse = new AfterResponse();

  /** How long finished jobs are kept. */
  public static class Retention {
    /** How long SUCCEEDED jobs are kept. */
    private Duration succeeded = Duration.ofDays(1);

    /** How long FAILED (dead-lettered) and CANCELLED jobs are kept. */
    private Duration failed = Duration.ofDays(14);

    public Duration getSucceeded() {
      return succeeded;
    }

    public void setSucceeded(Duration succeeded) {
      this.succeeded = succeeded;
    }

    public Duration getFailed() {
      return failed;
    }

    public void setFailed(Duration failed) {
      this.failed = failed;
    }
  }

  /** The stored-schedule scheduler of this node. */
  public static class Scheduler {
    /**
     * Whether this node materializes stored schedules and runs the built-in maintenance schedules
     * (prune, rescue sweep, orphans). Any number of nodes may; each fire time still runs once.
     */
    private boolean enabled = true;

    /** How often the scheduler tops up schedules' windows and looks for misfires. */
    private Duration interval = Duration.ofSeconds(1);

    /** How late a fire time may be and still run as usual; later ones follow the misfire policy. */
    private Duration misfireThreshold = Duration.ofMinutes(1);

    /** How far in the past a new schedule's start may be. */
    private Duration maxStartAge = Duration.ofDays(1);

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public Duration getInterval() {
      return interval;
    }

    public void setInterval(Duration interval) {
      this.interval = interval;
    }

    public Duration getMisfireThreshold() {
      return misfireThreshold;
    }

    public void setMisfireThreshold(Duration misfireThreshold) {
      this.misfireThreshold = misfireThreshold;
    }

    public Duration getMaxStartAge() {
      return maxStartAge;
    }

    public void setMaxStartAge(Duration maxStartAge) {
      this.maxStartAge = maxStartAge;
    }
  }

  /** Settings of the SQLite store (used when the DataSource is SQLite). */
  public static class Sqlite {
    /**
     * Durability of a commit: FULL fsyncs every enqueue (survives power loss), NORMAL survives a
     * killed process but may lose the last commits on an OS crash.
     */
    private SqliteJobStore.Synchronous synchronous = SqliteJobStore.Synchronous.FULL;

    /** How long the store's writes wait for another connection holding SQLite's write lock. */
    private Duration busyTimeout = Duration.ofSeconds(10);

    /** Most read connections the store opens (find, list, counts). */
    private int readConnections = 4;

    /**
     * Whether to refuse to start when the application's SQLite DataSource begins its transactions
     * DEFERRED. Such a transaction that reads and then enqueues fails with SQLITE_BUSY whenever
     * Errand wrote in between; add {@code transaction_mode=IMMEDIATE} to the JDBC URL instead of
     * turning this off.
     */
    private boolean requireImmediateTransactions = true;

    public SqliteJobStore.Synchronous getSynchronous() {
      return synchronous;
    }

    public void setSynchronous(SqliteJobStore.Synchronous synchronous) {
      this.synchronous = synchronous;
    }

    public Duration getBusyTimeout() {
      return busyTimeout;
    }

    public void setBusyTimeout(Duration busyTimeout) {
      this.busyTimeout = busyTimeout;
    }

    public int getReadConnections() {
      return readConnections;
    }

    public void setReadConnections(int readConnections) {
      this.readConnections = readConnections;
    }

    public boolean isRequireImmediateTransactions() {
      return requireImmediateTransactions;
    }

    public void setRequireImmediateTransactions(boolean requireImmediateTransactions) {
      this.requireImmediateTransactions = requireImmediateTransactions;
    }
  }

  /**
   * The after-response lane ({@code AfterResponse.run}): tasks a request adds run once its response
   * is complete, in memory, best effort.
   */
  public static class AfterResponse {
    /**
     * Whether to create the lane and, in a servlet web application, register the filter that runs
     * each request's tasks after its response is complete.
     */
    private boolean enabled = true;

    /** Lane threads, each running one request's tasks at a time. */
    private int threads = 4;

    /** Requests whose tasks may wait for a thread before the saturation policy applies. */
    private int queueCapacity = 1024;

    /** Tasks one request may add; more are rejected, counted and logged. */
    private int maxTasksPerRequest = 256;

    /** What a full queue does: WAIT (up to wait-limit, then reject), CALLER_RUNS, REJECT. */
    private Saturation saturation = Saturation.WAIT;

    /** How long WAIT waits for room in the queue before rejecting. */
    private Duration waitLimit = Duration.ofSeconds(1);

    /** Time limit of one task attempt; a task past it is interrupted and its thread replaced. */
    private Duration taskTimeout = Duration.ofSeconds(30);

    /** How long shutdown waits for queued and running tasks before reporting what did not run. */
    private Duration shutdownGrace = Duration.ofSeconds(10);

    /** The request header whose value names a request's tasks in logs; generated if absent. */
    private String correlationHeader = "X-Request-Id";

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public int getThreads() {
      return threads;
    }

    public void setThreads(int threads) {
      this.threads = threads;
    }

    public int getQueueCapacity() {
      return queueCapacity;
    }

    public void setQueueCapacity(int queueCapacity) {
      this.queueCapacity = queueCapacity;
    }

    public int getMaxTasksPerRequest() {
      return maxTasksPerRequest;
    }

    public void setMaxTasksPerRequest(int maxTasksPerRequest) {
      this.maxTasksPerRequest = maxTasksPerRequest;
    }

    public Saturation getSaturation() {
      return saturation;
    }

    public void setSaturation(Saturation saturation) {
      this.saturation = saturation;
    }

    public Duration getWaitLimit() {
      return waitLimit;
    }

    public void setWaitLimit(Duration waitLimit) {
      this.waitLimit = waitLimit;
    }

    public Duration getTaskTimeout() {
      return taskTimeout;
    }

    public void setTaskTimeout(Duration taskTimeout) {
      this.taskTimeout = taskTimeout;
    }

    public Duration getShutdownGrace() {
      return shutdownGrace;
    }

    public void setShutdownGrace(Duration shutdownGrace) {
      this.shutdownGrace = shutdownGrace;
    }

    public String getCorrelationHeader() {
      return correlationHeader;
    }

    public void setCorrelationHeader(String correlationHeader) {
      this.correlationHeader = correlationHeader;
    }

    /** Applies these settings to {@code b}; {@link #validate} has checked them. */
    void applyTo(AfterResponseLane.Builder b) {
      b.threads(threads)
          .queueCapacity(queueCapacity)
          .maxTasksPerRequest(maxTasksPerRequest)
          .taskTimeout(taskTimeout)
          .shutdownGrace(shutdownGrace);
      if (saturation == Saturation.WAIT) {
        b.waitUpTo(waitLimit);
      } else {
        b.saturation(saturation);
      }
    }

    private void validate(Check check) {
      check.atLeastOne("afterResponse.threads", "after-response.threads", threads);
      check.atLeastOne(
          "afterResponse.queueCapacity", "after-response.queue-capacity", queueCapacity);
      check.atLeastOne(
          "afterResponse.maxTasksPerRequest",
          "after-response.max-tasks-per-request",
          maxTasksPerRequest);
      check.positive("afterResponse.waitLimit", "after-response.wait-limit", waitLimit);
      check.positive("afterResponse.taskTimeout", "after-response.task-timeout", taskTimeout);
      if (shutdownGrace == null || shutdownGrace.isNegative()) {
        check.reject(
            "afterResponse.shutdownGrace",
            "after-response.shutdown-grace",
            shutdownGrace,
            "it must be zero or positive");
      }
      if (saturation == null) {
        check.reject(
            "afterResponse.saturation",
            "after-response.saturation",
            null,
            "choose wait, caller-runs or reject");
      }
      if (correlationHeader == null || correlationHeader.isBlank()) {
        check.reject(
            "afterResponse.correlationHeader",
            "after-response.correlation-header",
            correlationHeader,
            "name a request header, e.g. X-Request-Id");
      }
    }
  }

  /** The queues to serve: {@link #getQueues()}, or {@code default} with 4 when it is empty. */
  public Map<String, Integer> effectiveQueues() {
    if (!workersEnabled) {
      return Map.of();
    }
    return queues.isEmpty() ? Map.of(DEFAULT_QUEUE, DEFAULT_CONCURRENCY) : queues;
  }

  /**
   * Applies every engine setting to {@code builder} (the store is set by the caller).
   *
   * @throws IllegalArgumentException naming the property if a value is not acceptable
   */
  public void applyTo(Errand.Builder builder) {
    Check check = new Check();
    apply(builder, check);
    if (check.first != null) {
      throw new IllegalArgumentException(check.first);
    }
  }

  @Override
  public boolean supports(Class<?> clazz) {
    return ErrandProperties.class.isAssignableFrom(clazz);
  }

  /** Rejects every value the core builders would reject, naming its property. */
  @Override
  public void validate(Object target, Errors errors) {
    Check check = new Check(errors);
    ((ErrandProperties) target).apply(Errand.builder(), check);
    ((ErrandProperties) target).validateStore(check);
    ((ErrandProperties) target).afterResponse.validate(check);
  }

  private void apply(Errand.Builder b, Check check) {
    effectiveQueues()
        .forEach(
            (name, n) ->
                check.field("queues", "queues." + name, n, () -> b.queue(name, n == null ? 0 : n)));
    if (nodeId != null) {
      check.field("nodeId", "node-id", nodeId, () -> b.nodeId(nodeId));
    }
    check.field("lease", "lease", lease, () -> b.lease(lease));
    if (heartbeatInterval != null) {
      check.field(
          "heartbeatInterval",
          "heartbeat-interval",
          heartbeatInterval,
          () -> b.heartbeatInterval(heartbeatInterval));
    }
    check.field(
        "rescueInterval",
        "rescue-interval",
        rescueInterval,
        () -> b.rescueInterval(rescueInterval));
    check.field("pollInterval", "poll-interval", pollInterval, () -> b.pollInterval(pollInterval));
    check.field("claimBatch", "claim-batch", claimBatch, () -> b.claimBatch(claimBatch));
    check.field(
        "completionBatch",
        "completion-batch",
        completionBatch,
        () -> b.completionBatch(completionBatch));
    check.field(
        "claimCooldown", "claim-cooldown", claimCooldown, () -> b.claimCooldown(claimCooldown));
    check.field(
        "completionCooldown",
        "completion-cooldown",
        completionCooldown,
        () -> b.completionCooldown(completionCooldown));
    check.field(
        "shutdownGrace", "shutdown-grace", shutdownGrace, () -> b.shutdownGrace(shutdownGrace));
    check.field(
        "quarantineAfterRescues",
        "quarantine-after-rescues",
        quarantineAfterRescues,
        () -> b.quarantineAfterRescues(quarantineAfterRescues));
    check.field(
        "retention.succeeded",
        "retention.succeeded",
        retention.succeeded,
        () -> b.retention(retention.succeeded, Duration.ZERO));
    check.field(
        "retention.failed",
        "retention.failed",
        retention.failed,
        () -> b.retention(Duration.ZERO, retention.failed));
    check.field(
        "pruneInterval", "prune-interval", pruneInterval, () -> b.pruneInterval(pruneInterval));
    check.field(
        "nodeHeartbeatInterval",
        "node-heartbeat-interval",
        nodeHeartbeatInterval,
        () -> b.nodeHeartbeatInterval(nodeHeartbeatInterval));
    check.field(
        "watchInterval", "watch-interval", watchInterval, () -> b.watchInterval(watchInterval));
    check.field(
        "scheduler.enabled",
        "scheduler.enabled",
        scheduler.enabled,
        () -> b.scheduler(scheduler.enabled));
    check.field(
        "scheduler.interval",
        "scheduler.interval",
        scheduler.interval,
        () -> b.schedulerInterval(scheduler.interval));
    check.field(
        "scheduler.misfireThreshold",
        "scheduler.misfire-threshold",
        scheduler.misfireThreshold,
        () -> b.misfireThreshold(scheduler.misfireThreshold));
    check.field(
        "scheduler.maxStartAge",
        "scheduler.max-start-age",
        scheduler.maxStartAge,
        () -> b.scheduleMaxStartAge(scheduler.maxStartAge));
    if (retention.succeeded != null && retention.failed != null) {
      b.retention(retention.succeeded, retention.failed);
    }
    if (lease != null && lease.compareTo(Duration.ofSeconds(1)) >= 0) {
      Duration hb = heartbeatInterval != null ? heartbeatInterval : lease.dividedBy(3);
      if (hb.compareTo(lease.dividedBy(2)) >= 0) {
        check.reject(
            "heartbeatInterval",
            "heartbeat-interval",
            hb,
            "it must be below half of errand.lease ("
                + lease
                + "), or leases expire between"
                + " heartbeats");
      }
    }
  }

  private void validateStore(Check check) {
    check.field(
        "sqlite.busyTimeout",
        "sqlite.busy-timeout",
        sqlite.busyTimeout,
        () ->
            SqliteJobStore.builder(java.nio.file.Path.of("check.db"))
                .busyTimeout(sqlite.busyTimeout));
    check.field(
        "sqlite.readConnections",
        "sqlite.read-connections",
        sqlite.readConnections,
        () ->
            SqliteJobStore.builder(java.nio.file.Path.of("check.db"))
                .readConnections(sqlite.readConnections));
    if (store == null) {
      check.reject("store", "store", null, "choose auto, postgres or sqlite");
    }
    if (schemaMode == null) {
      check.reject("schemaMode", "schema-mode", null, "choose migrate, validate or none");
    }
    if (sqlite.synchronous == null) {
      check.reject("sqlite.synchronous", "sqlite.synchronous", null, "choose full or normal");
    }
  }

  /** Collects rejections into Spring's {@link Errors}, or keeps the first one. */
  private static final class Check {
    private final Errors errors;
    private String first;

    Check() {
      this(null);
    }

    Check(Errors errors) {
      this.errors = errors;
    }

    void field(String field, String property, Object value, Runnable apply) {
      try {
        if (value == null) {
          throw new IllegalArgumentException("a value is required");
        }
        apply.run();
      } catch (IllegalArgumentException | NullPointerException e) {
        reject(field, property, value, e.getMessage());
      }
    }

    void atLeastOne(String field, String property, int value) {
      if (value < 1) {
        reject(field, property, value, "it must be at least 1");
      }
    }

    void positive(String field, String property, Duration value) {
      if (value == null || value.isNegative() || value.isZero()) {
        reject(field, property, value, "it must be positive");
      }
    }

    void reject(String field, String property, Object value, String why) {
      String message = "errand." + property + "=" + value + " is invalid: " + why;
      if (errors != null) {
        errors.rejectValue(field, "errand.invalid", message);
      } else if (first == null) {
        first = message;
      }
    }
  }

  // ------------------------------------------------------------------ accessors

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public StoreKind getStore() {
    return store;
  }

  public void setStore(StoreKind store) {
    this.store = store;
  }

  public SchemaMode getSchemaMode() {
    return schemaMode;
  }

  public void setSchemaMode(SchemaMode schemaMode) {
    this.schemaMode = schemaMode;
  }

  public String getNodeId() {
    return nodeId;
  }

  public void setNodeId(String nodeId) {
    this.nodeId = nodeId;
  }

  public boolean isWorkersEnabled() {
    return workersEnabled;
  }

  public void setWorkersEnabled(boolean workersEnabled) {
    this.workersEnabled = workersEnabled;
  }

  public Map<String, Integer> getQueues() {
    return queues;
  }

  public void setQueues(Map<String, Integer> queues) {
    this.queues = queues;
  }

  public Duration getLease() {
    return lease;
  }

  public void setLease(Duration lease) {
    this.lease = lease;
  }

  public Duration getHeartbeatInterval() {
    return heartbeatInterval;
  }

  public void setHeartbeatInterval(Duration heartbeatInterval) {
    this.heartbeatInterval = heartbeatInterval;
  }

  public Duration getRescueInterval() {
    return rescueInterval;
  }

  public void setRescueInterval(Duration rescueInterval) {
    this.rescueInterval = rescueInterval;
  }

  public Duration getPollInterval() {
    return pollInterval;
  }

  public void setPollInterval(Duration pollInterval) {
    this.pollInterval = pollInterval;
  }

  public int getClaimBatch() {
    return claimBatch;
  }

  public void setClaimBatch(int claimBatch) {
    this.claimBatch = claimBatch;
  }

  public int getCompletionBatch() {
    return completionBatch;
  }

  public void setCompletionBatch(int completionBatch) {
    this.completionBatch = completionBatch;
  }

  public Duration getClaimCooldown() {
    return claimCooldown;
  }

  public void setClaimCooldown(Duration claimCooldown) {
    this.claimCooldown = claimCooldown;
  }

  public Duration getCompletionCooldown() {
    return completionCooldown;
  }

  public void setCompletionCooldown(Duration completionCooldown) {
    this.completionCooldown = completionCooldown;
  }

  public Duration getShutdownGrace() {
    return shutdownGrace;
  }

  public void setShutdownGrace(Duration shutdownGrace) {
    this.shutdownGrace = shutdownGrace;
  }

  public int getQuarantineAfterRescues() {
    return quarantineAfterRescues;
  }

  public void setQuarantineAfterRescues(int quarantineAfterRescues) {
    this.quarantineAfterRescues = quarantineAfterRescues;
  }

  public Duration getPruneInterval() {
    return pruneInterval;
  }

  public void setPruneInterval(Duration pruneInterval) {
    this.pruneInterval = pruneInterval;
  }

  public Duration getNodeHeartbeatInterval() {
    return nodeHeartbeatInterval;
  }

  public void setNodeHeartbeatInterval(Duration nodeHeartbeatInterval) {
    this.nodeHeartbeatInterval = nodeHeartbeatInterval;
  }

  public Duration getWatchInterval() {
    return watchInterval;
  }

  public void setWatchInterval(Duration watchInterval) {
    this.watchInterval = watchInterval;
  }

  public Retention getRetention() {
    return retention;
  }

  public Scheduler getScheduler() {
    return scheduler;
  }

  public Sqlite getSqlite() {
    return sqlite;
  }

  public AfterResponse getAfterResponse() {
    return afterResponse;
  }
}
