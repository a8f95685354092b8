package dev.errand.examples.recurring;

import static dev.errand.examples.ExampleDatabase.number;

import dev.errand.examples.ApiError;
import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.Json;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * 003's "Worker Service": the one entry point of worker operations, timing each one (meter {@code
 * tasks.worker.operations}, tagged by operation and outcome), and health and statistics.
 * Thread-safe.
 */
public final class WorkerService {
  private static final Logger log = LoggerFactory.getLogger(WorkerService.class);
  static final String TIMER = "tasks.worker.operations";

  private final ExampleDatabase db;
  private final TasksWorker worker;
  private final Clock clock;
  private final MeterRegistry registry;

  WorkerService(ExampleDatabase db, Clock clock, MeterRegistry registry) {
    this.db = db;
    this.worker = new TasksWorker(db, clock);
    this.clock = clock;
    this.registry = registry;
  }

  /**
   * 003's {@code processTaskRecurrence(taskId, operation[, userId])}: runs {@code create}, {@code
   * complete} or {@code delete} for a task and returns what it did.
   *
   * @throws ApiError 400 for an unknown operation or a delete without userId; 404/409/422 from the
   *     worker for a missing or unsuitable task
   */
  public Object processTaskRecurrence(long taskId, String operation, String userId) {
    return switch (operation == null ? "" : operation) {
      case "create" -> timed("create", () -> worker.processTaskCreation(taskId));
      case "complete" -> timed("complete", () -> worker.processTaskCompletion(taskId));
      case "delete" -> {
        if (userId == null || userId.isBlank()) {
          throw ApiError.badRequest("userId is required for delete");
        }
        yield timed(
            "delete",
            () -> Json.object("deletedCount", worker.processTaskDeletion(taskId, userId)));
      }
      default ->
          throw ApiError.badRequest(
              "Invalid operation: " + operation + " (use create, complete or delete)");
    };
  }

  /**
   * 003's {@code cleanupOrphanedRecurringTasks()}: deletes orphaned occurrences, returns how many.
   */
  public int cleanupOrphanedRecurringTasks() {
    return timed("cleanup", worker::cleanupOrphanedRecurringTasks);
  }

  /** The weekly consistency check; returns how many missing occurrences it created. */
  public int validateRecurringTaskConsistency() {
    return timed("consistency", worker::validateRecurringTaskConsistency);
  }

  /** Orphaned occurrences now (what the cleanup would delete). */
  public long countOrphans() {
    return db.read(Tasks::countOrphans);
  }

  /**
   * 003's {@code getHealthStatus()}: healthy when the database answers and the recurrence engine
   * computes a known month-end date; else unhealthy with the error.
   */
  public Map<String, Object> getHealthStatus() {
    Map<String, Object> health = new LinkedHashMap<>();
    Instant now = clock.instant();
    try {
      Map<String, Long> stats = db.read(c -> stats(c, null));
      boolean engineOk =
          RecurrenceEngine.calculateNextOccurrence(
                  ZonedDateTime.of(2024, 1, 31, 10, 0, 0, 0, ZoneOffset.UTC), "monthly")
              .equals(Instant.parse("2024-02-29T10:00:00Z"));
      health.put("status", engineOk ? "healthy" : "unhealthy");
      health.put("timestamp", Task.iso(now));
      Map<String, String> services = new LinkedHashMap<>();
      services.put("tasksWorker", "operational");
      services.put("recurrenceEngine", engineOk ? "operational" : "failing");
      health.put("services", services);
      health.put("stats", stats);
    } catch (RuntimeException e) {
      log.error("WorkerService: health check failed", e);
      health.put("status", "unhealthy");
      health.put("timestamp", Task.iso(now));
      health.put("error", String.valueOf(e.getMessage()));
    }
    return health;
  }

  /** Task counts of one user (or everyone with null) and processing times of the operations. */
  public Map<String, Object> getDetailedStats(String userId) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("userId", userId);
    out.put("tasks", db.read(c -> stats(c, userId)));
    out.put("processing", processing());
    return out;
  }

  /**
   * 003's performance metrics: average and maximum milliseconds, success and error rates of the
   * worker operations; retry and timeout rates of the triggers (percent of their attempts); tasks
   * processed in the last hour and occurrences created in all (from the activity log).
   */
  Map<String, Object> processing() {
    long ok = 0;
    long failed = 0;
    double totalMs = 0;
    double maxMs = 0;
    for (Timer t : registry.find(TIMER).timers()) {
      if ("success".equals(t.getId().getTag("outcome"))) {
        ok += t.count();
      } else {
        failed += t.count();
      }
      totalMs += t.totalTime(TimeUnit.MILLISECONDS);
      maxMs = Math.max(maxMs, t.max(TimeUnit.MILLISECONDS));
    }
    long all = ok + failed;
    double attempts = triggerCount("errand.jobs.started");
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("operations", all);
    p.put("avgProcessingTime", all == 0 ? 0.0 : totalMs / all);
    p.put("maxProcessingTime", maxMs);
    p.put("successRate", percent(ok, all, 100.0));
    p.put("errorRate", percent(failed, all, 0.0));
    p.put("triggerAttempts", (long) attempts);
    p.put("retryRate", percent(triggerCount("errand.jobs.retried"), attempts, 0.0));
    p.put("timeoutRate", percent(registry.counter(WorkerTrigger.TIMEOUTS).count(), attempts, 0.0));
    long hourAgo = clock.instant().minusSeconds(3600).toEpochMilli();
    db.read(
        c -> {
          p.put(
              "tasksProcessedPerHour",
              number(
                  c,
                  "SELECT COUNT(DISTINCT task_id) FROM task_activity"
                      + " WHERE at > ? AND action <> 'created'",
                  hourAgo));
          p.put(
              "recurringInstancesCreated",
              number(
                  c,
                  "SELECT COUNT(*) FROM task_activity"
                      + " WHERE action = 'recurring_instance_created'"));
          return null;
        });
    return p;
  }

  private double triggerCount(String meter) {
    return registry.find(meter).tag("type", WorkerTrigger.TYPE).counters().stream()
        .mapToDouble(io.micrometer.core.instrument.Counter::count)
        .sum();
  }

  private static double percent(double part, double all, double ifNone) {
    return all == 0 ? ifNone : 100.0 * part / all;
  }

  private static Map<String, Long> stats(Connection c, String userId) throws SQLException {
    String user = userId == null ? "" : " AND user_id = ?";
    Object[] args = userId == null ? new Object[0] : new Object[] {userId};
    String originals =
        "SELECT COUNT(*) FROM tasks WHERE parent_recurring_id IS NULL AND recurrence IS NOT NULL";
    Map<String, Long> s = new LinkedHashMap<>();
    s.put("totalTasks", number(c, "SELECT COUNT(*) FROM tasks WHERE 1 = 1" + user, args));
    s.put("recurringTasks", number(c, originals + user, args));
    s.put(
        "recurringInstances",
        number(c, "SELECT COUNT(*) FROM tasks WHERE parent_recurring_id IS NOT NULL" + user, args));
    for (String type : List.of("daily", "weekly", "monthly")) {
      Object[] typed = userId == null ? new Object[] {type} : new Object[] {type, userId};
      s.put(type + "Recurring", number(c, originals + " AND repeat_type = ?" + user, typed));
    }
    return s;
  }

  private <R> R timed(String operation, Supplier<R> work) {
    long start = System.nanoTime();
    String outcome = "error";
    try {
      R r = work.get();
      outcome = "success";
      return r;
    } finally {
      Timer.builder(TIMER)
          .tag("operation", operation)
          .tag("outcome", outcome)
          .register(registry)
          .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    }
  }
}
