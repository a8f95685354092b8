package dev.errand.examples.recurring;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.errand.Schedule;
import dev.errand.examples.ApiError;
import dev.errand.examples.Json;
import io.javalin.http.Context;
import io.javalin.router.JavalinDefaultRoutingApi;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * 003's internal API under {@code /internal/worker}: recurrence processing, cleanup, health, stats
 * and validation, behind 003's access rule ({@link #check}).
 */
final class InternalApi {
  static final String KEY_HEADER = "x-internal-api-key";

  /** Body of {@code POST /internal/worker/tasks/recurrence}. */
  record RecurrenceRequest(String taskId, String operation, String userId) {}

  /** Body of {@code POST /internal/worker/validate}. */
  record ValidateRequest(TaskInput task) {}

  private final WorkerService service;
  private final ObjectMapper mapper;
  private final Clock clock;
  private final String apiKey;
  private final ZoneId defaultZone;

  InternalApi(
      WorkerService service, ObjectMapper mapper, Clock clock, String apiKey, ZoneId defaultZone) {
    this.service = service;
    this.mapper = mapper;
    this.clock = clock;
    this.apiKey = apiKey;
    this.defaultZone = defaultZone;
  }

  void routes(JavalinDefaultRoutingApi r) {
    r.before("/internal/*", ctx -> check(ctx.ip(), apiKey, ctx.header(KEY_HEADER)));
    r.post("/internal/worker/tasks/recurrence", this::recurrence);
    r.post("/internal/worker/tasks/cleanup", this::cleanup);
    r.get("/internal/worker/health", this::health);
    r.get(
        "/internal/worker/stats",
        ctx -> ok(ctx, null, service.getDetailedStats(ctx.queryParam("userId"))));
    r.post("/internal/worker/validate", this::validate);
  }

  /**
   * 003's {@code internalAuth}: with a key configured, every request needs it (compared in constant
   * time), from any address; without one, only loopback clients (127.0.0.0/8, ::1 and
   * ::ffff:127.0.0.1) are let in.
   *
   * @throws ApiError 403 "Invalid internal API key" or "Internal API access restricted"
   */
  static void check(String clientIp, String configuredKey, String providedKey) {
    if (configuredKey != null) {
      byte[] expected = configuredKey.getBytes(StandardCharsets.UTF_8);
      byte[] given =
          providedKey == null ? new byte[0] : providedKey.getBytes(StandardCharsets.UTF_8);
      if (!MessageDigest.isEqual(expected, given)) {
        throw ApiError.forbidden("Invalid internal API key");
      }
      return;
    }
    if (!isLoopback(clientIp)) {
      throw ApiError.forbidden("Internal API access restricted");
    }
  }

  static boolean isLoopback(String ip) {
    if (ip == null || ip.isBlank() || !ip.matches("[0-9a-fA-F:.%\\[\\]]+")) {
      return false;
    }
    try {
      // a literal address: no name lookup happens for these characters
      return InetAddress.getByName(ip.replace("[", "").replace("]", "")).isLoopbackAddress()
          || ip.toLowerCase().startsWith("::ffff:127.");
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private void recurrence(Context ctx) {
    RecurrenceRequest req = ApiError.body(ctx, mapper, RecurrenceRequest.class);
    long taskId = taskId(req.taskId());
    Object result = service.processTaskRecurrence(taskId, req.operation(), req.userId());
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("success", true);
    data.put("operation", req.operation());
    data.put("taskId", req.taskId());
    data.put("result", result);
    ok(ctx, "Successfully processed " + req.operation() + " for task " + req.taskId(), data);
  }

  private void cleanup(Context ctx) {
    int cleaned = service.cleanupOrphanedRecurringTasks();
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("timestamp", Task.iso(clock.instant()));
    data.put(
        "operations",
        Json.object(
            "orphanedTasksCleanup", Json.object("completed", true, "cleanedCount", cleaned)));
    data.put("success", true);
    ok(ctx, "Cleanup operations completed successfully", data);
  }

  private void health(Context ctx) {
    Map<String, Object> health = service.getHealthStatus();
    boolean healthy = "healthy".equals(health.get("status"));
    ctx.status(healthy ? 200 : 503).json(Json.object("success", healthy, "data", health));
  }

  private void validate(Context ctx) {
    ValidateRequest req = ApiError.body(ctx, mapper, ValidateRequest.class);
    if (req.task() == null) {
      throw ApiError.badRequest(
          "task is required: {\"task\": {\"title\": …, \"dueDate\": …, \"repeatType\": …}}");
    }
    TaskInput task = req.task();
    Instant now = clock.instant();
    List<String> errors = task.validate(defaultZone, now);
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("valid", errors.isEmpty());
    data.put("errors", errors);
    if (errors.isEmpty() && !"none".equals(task.repeatTypeOrNone())) {
      ZoneId zone = task.zone(defaultZone);
      LocalDateTime wall = task.wallClockDue(zone);
      Schedule schedule = RecurrenceEngine.schedule(task.repeatTypeOrNone(), wall, zone);
      data.put("recurrence", schedule.toString());
      data.put(
          "nextOccurrences",
          RecurrenceEngine.nextOccurrences(schedule, task.dueInstant(zone)).stream()
              .map(Task::iso)
              .toList());
    }
    ok(ctx, null, data);
  }

  private static long taskId(String taskId) {
    if (taskId == null || !taskId.matches("\\d{1,18}")) {
      throw ApiError.badRequest("taskId must be a task id such as \"42\", got " + taskId);
    }
    return Long.parseLong(taskId);
  }

  private static void ok(Context ctx, String message, Object data) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("success", true);
    if (message != null) {
      body.put("message", message);
    }
    body.put("data", data);
    ctx.json(body);
  }
}
