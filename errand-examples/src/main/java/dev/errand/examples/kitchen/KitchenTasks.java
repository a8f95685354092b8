package dev.errand.examples.kitchen;

import static dev.errand.examples.ExampleDatabase.query;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.errand.Errand;
import dev.errand.Job;
import dev.errand.JobQuery;
import dev.errand.JobState;
import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.Json;
import dev.errand.examples.kitchen.KitchenJobs.Production;
import dev.errand.examples.kitchen.KitchenJobs.WriteOff;
import dev.errand.examples.kitchen.Stock.Item;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Errand's kitchen jobs as 004's background tasks: {@code BackgroundTask}'s fields, its statuses
 * ({@code queued}, {@code processing}, {@code retrying}, {@code completed}, {@code failed}) and its
 * pending, processing, failed and history lists. The jobs are the tasks: nothing is stored twice.
 * Thread-safe (every call reads the store).
 */
final class KitchenTasks {
  /** Tasks shown in the history panel. */
  static final int HISTORY = 30;

  /** Tasks shown in each of the other lists. */
  static final int LIST = 100;

  private final Errand errand;
  private final ExampleDatabase db;
  private final ObjectMapper mapper;

  KitchenTasks(Errand errand, ExampleDatabase db, ObjectMapper mapper) {
    this.errand = errand;
    this.db = db;
    this.mapper = mapper;
  }

  /** The four lists of the page, newest first. */
  Map<String, Object> lists() {
    Map<String, Item> items = db.read(Stock::items);
    return Json.object(
        "pending",
        list(items, LIST, JobState.SCHEDULED, JobState.QUEUED, JobState.RETRYING),
        "processing",
        list(items, LIST, JobState.RUNNING),
        "failed",
        list(items, LIST, JobState.FAILED, JobState.CANCELLED),
        "history",
        list(items, HISTORY, JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED));
  }

  private List<Map<String, Object>> list(Map<String, Item> items, int limit, JobState... states) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Job j :
        errand.jobs(JobQuery.all().queue(KitchenJobs.QUEUE).states(states).limit(limit)).jobs()) {
      if (KitchenJobs.isKitchenType(j.type())) {
        out.add(view(j, items));
      }
    }
    return out;
  }

  /** One task, if {@code id} is a kitchen job. */
  Optional<Map<String, Object>> task(long id) {
    return errand
        .job(id)
        .filter(j -> KitchenJobs.isKitchenType(j.type()))
        .map(j -> view(j, db.read(Stock::items)));
  }

  /** 004's {@code BackgroundTask} of job {@code j}. */
  Map<String, Object> view(Job j, Map<String, Item> items) {
    Instant now = errand.clock().instant();
    String status = status(j, now);
    Who who = who(j);
    return Json.object(
        "id",
        j.id(),
        "type",
        KitchenJobs.taskType(j.type()),
        "status",
        status,
        "description",
        description(j, items),
        "department",
        who.department,
        "createdBy",
        who.userName,
        "createdAt",
        j.createdAt().toString(),
        "startedAt",
        j.startedAt() == null ? null : j.startedAt().toString(),
        "completedAt",
        j.finishedAt() == null ? null : j.finishedAt().toString(),
        "attempts",
        j.attempt(),
        "maxAttempts",
        j.maxAttempts(),
        "lastError",
        readable(j.lastError()),
        "nextAttemptAt",
        status.equals("retrying") ? j.runAt().toString() : null,
        "outcome",
        j.state() == JobState.SUCCEEDED ? outcome(j.id(), items) : null);
  }

  private static final Pattern CLASS_PREFIX =
      Pattern.compile("^(?:[a-z_][\\w]*\\.)+[A-Z][\\w$]*: ");

  /**
   * An attempt's error as a cook reads it: Errand stores {@code java.io.IOException: message}, the
   * page shows {@code message}. Null stays null.
   */
  static String readable(String error) {
    return error == null ? null : CLASS_PREFIX.matcher(error).replaceFirst("");
  }

  /** 004's status of a job at {@code now}. */
  static String status(Job j, Instant now) {
    return switch (j.state()) {
      case SCHEDULED, QUEUED -> "queued";
      case RETRYING -> j.runAt().isAfter(now) ? "retrying" : "queued";
      case RUNNING -> "processing";
      case SUCCEEDED -> "completed";
      case FAILED -> "failed";
      case CANCELLED -> "cancelled";
    };
  }

  private record Who(String department, String userName) {}

  private Who who(Job j) {
    try {
      if (j.type().equals(KitchenJobs.PRODUCTION)) {
        Production p = mapper.readValue(j.payload(), Production.class);
        return new Who(p.department(), p.userName());
      }
      WriteOff w = mapper.readValue(j.payload(), WriteOff.class);
      return new Who(w.department(), w.userName());
    } catch (JsonProcessingException e) {
      return new Who(null, null);
    }
  }

  /** What the task does, in words: "Hummus 500 g", "Write-off: Tomatoes 2000 g (expired)". */
  String description(Job j, Map<String, Item> items) {
    try {
      if (j.type().equals(KitchenJobs.PRODUCTION)) {
        Production p = mapper.readValue(j.payload(), Production.class);
        return "Production: " + amount(items, p.preparationId(), p.quantity());
      }
      WriteOff w = mapper.readValue(j.payload(), WriteOff.class);
      return "Write-off: "
          + w.items().stream()
              .map(i -> amount(items, i.itemId(), i.quantity()))
              .collect(Collectors.joining(", "))
          + " ("
          + w.reason()
          + ")";
    } catch (JsonProcessingException e) {
      return j.type() + " job " + j.id();
    }
  }

  private static String amount(Map<String, Item> items, String itemId, long quantity) {
    Item i = items.get(itemId);
    return i == null ? itemId + " " + quantity : i.name() + " " + quantity + " " + i.unit();
  }

  /**
   * What a completed task did, read from the operations it committed: "Hummus 500 g produced, cost
   * 29500".
   */
  String outcome(long jobId, Map<String, Item> items) {
    return db.read(c -> outcome(c, jobId, items));
  }

  private static String outcome(Connection c, long jobId, Map<String, Item> items)
      throws SQLException {
    List<Object[]> ops =
        query(
            c,
            "SELECT o.kind, o.item_id, o.quantity, o.cost, (SELECT COALESCE(SUM(a.quantity), 0)"
                + " FROM stock_allocations a JOIN stock_batches b ON b.id = a.batch_id"
                + " WHERE a.operation_id = o.id AND b.source = 'negative')"
                + " FROM stock_operations o WHERE o.job_id = ? ORDER BY o.id",
            rs ->
                new Object[] {
                  rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)
                },
            jobId);
    if (ops.isEmpty()) {
      return "nothing was recorded";
    }
    if (ops.get(0)[0].equals("production")) {
      Object[] o = ops.get(0);
      return amount(items, (String) o[1], (Long) o[2]) + " produced, cost " + o[3];
    }
    long total = 0;
    List<String> parts = new ArrayList<>();
    for (Object[] o : ops) {
      total += (Long) o[3];
      String part = amount(items, (String) o[1], (Long) o[2]);
      if ((Long) o[4] > 0) {
        part += " (" + o[4] + " not in stock, recorded as a negative batch)";
      }
      parts.add(part);
    }
    return "Written off " + String.join(", ", parts) + ", cost " + total;
  }
}
