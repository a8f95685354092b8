package dev.errand.examples.recurring;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.errand.Errand;
import dev.errand.JobContext;
import dev.errand.JobType;
import dev.errand.RecurringJob;
import dev.errand.Schedule;
import dev.errand.examples.Alerts;
import dev.errand.examples.ApiError;
import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.ExampleServer;
import dev.errand.examples.Json;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.router.JavalinDefaultRoutingApi;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recurring-task application of seed 003 on Errand: a task API ({@code /tasks}), 003's internal
 * worker API ({@code /internal/worker/…}), worker triggers as durable jobs, and the daily and
 * weekly maintenance as stored schedules.
 *
 * <pre>{@code
 * try (RecurringTasksApp app = RecurringTasksApp.start(RecurringTasksConfig.builder().port(3000).build())) {
 *   // POST http://127.0.0.1:3000/tasks  (header X-User-Id)
 * }
 * }</pre>
 *
 * <p>Main API ("X-User-Id" header names the caller, standing in for 003's JWT auth): {@code POST
 * /tasks}, {@code GET /tasks}, {@code GET /tasks/{id}}, {@code POST /tasks/{id}/complete}, {@code
 * DELETE /tasks/{id}}. A change to a recurring task enqueues its trigger in the same transaction
 * and answers at once; the trigger calls the internal API in the background.
 */
public final class RecurringTasksApp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RecurringTasksApp.class);

  /** The Errand queue of triggers and maintenance. */
  static final String QUEUE = "tasks";

  static final String DAILY = "tasks-daily-maintenance";
  static final String WEEKLY = "tasks-weekly-maintenance";
  static final String USER_HEADER = "X-User-Id";

  /** Payload of the maintenance jobs. */
  record Maintenance(String window) {}

  private final RecurringTasksConfig config;
  private final ExampleDatabase db;
  private final ObjectMapper mapper = Errand.defaultMapper();
  private final Errand errand;
  private final WorkerService service;
  private final WorkerTrigger trigger;
  private final InternalApi internal;
  private final Alerts alerts;
  private final AutoCloseable alertWatch;
  private final JobType<Maintenance> daily;
  private final JobType<Maintenance> weekly;
  private volatile Javalin server;

  private RecurringTasksApp(RecurringTasksConfig config) {
    this.config = config;
    this.db = config.database().get();
    db.migrate(Tasks.SCHEMA);
    this.errand = Errand.builder().store(db.jobStore()).queue(QUEUE, 4).build();
    this.service = new WorkerService(db, config.clock(), errand.meterRegistry());
    this.alerts = new Alerts(db, config.clock(), 5, Duration.ofMinutes(10));
    this.alertWatch = alerts.watch(errand);
    this.trigger =
        new WorkerTrigger(
            errand,
            mapper,
            this::internalBaseUrl,
            config.internalApiKey(),
            config.retryAttempts(),
            config.retryDelay(),
            config.timeout());
    this.internal =
        new InternalApi(
            service, mapper, config.clock(), config.internalApiKey(), config.defaultTimeZone());
    this.daily =
        errand.register(
            JobType.of("tasks.daily-maintenance", Maintenance.class, this::dailyMaintenance)
                .queue(QUEUE)
                .maxAttempts(3));
    this.weekly =
        errand.register(
            JobType.of("tasks.weekly-maintenance", Maintenance.class, this::weeklyMaintenance)
                .queue(QUEUE)
                .maxAttempts(3));
  }

  /**
   * Opens the database, starts an HTTP server on the configured host and port, then the workers.
   */
  public static RecurringTasksApp start(RecurringTasksConfig config) {
    return ExampleServer.launch(
        new RecurringTasksApp(config),
        app -> {
          app.server = ExampleServer.start(app.mapper, config.host(), config.port(), app::routes);
          app.begin();
        });
  }

  /**
   * Opens the database and starts the workers without an HTTP server, for mounting {@link #routes}
   * into another server; triggers go to {@link RecurringTasksConfig#internalBaseUrl}, which must be
   * set.
   */
  public static RecurringTasksApp create(RecurringTasksConfig config) {
    if (config.internalBaseUrl() == null) {
      throw new IllegalArgumentException(
          "without its own server the app needs internalBaseUrl: the"
              + " URL of the server its routes are mounted on");
    }
    return ExampleServer.launch(new RecurringTasksApp(config), RecurringTasksApp::begin);
  }

  private void begin() {
    errand.start();
    errand.defineSchedule(
        RecurringJob.of(
            DAILY,
            daily,
            new Maintenance("daily"),
            Schedule.daily(config.dailyMaintenance(), config.maintenanceZone())));
    errand.defineSchedule(
        RecurringJob.of(
            WEEKLY,
            weekly,
            new Maintenance("weekly"),
            Schedule.weekly(
                config.weeklyMaintenanceDay(),
                config.weeklyMaintenance(),
                config.maintenanceZone())));
    log.info(
        "recurring tasks: {} on {}; internal API {}; triggers {} attempts, backoff from {},"
            + " timeout {}; maintenance {} and {}",
        server == null ? "mounted" : "listening",
        server == null ? config.internalBaseUrl() : baseUrl(),
        config.internalApiKey() == null ? "loopback only" : "with API key",
        config.retryAttempts(),
        config.retryDelay(),
        config.timeout(),
        errand.schedule(DAILY).orElseThrow().schedule(),
        errand.schedule(WEEKLY).orElseThrow().schedule());
  }

  /** Adds this app's routes (task API and internal API) to a Javalin configuration. */
  public void routes(JavalinDefaultRoutingApi r) {
    ApiError.install(r);
    internal.routes(r);
    r.post("/tasks", this::createTask);
    r.get("/tasks", ctx -> ctx.json(db.read(c -> Tasks.ofUser(c, user(ctx)))));
    r.get("/tasks/{id}", this::getTask);
    r.post("/tasks/{id}/complete", this::completeTask);
    r.delete("/tasks/{id}", this::deleteTask);
  }

  private void createTask(Context ctx) {
    String user = user(ctx);
    TaskInput in = ApiError.body(ctx, mapper, TaskInput.class);
    Instant now = config.clock().instant();
    List<String> errors = in.validate(config.defaultTimeZone(), now);
    if (!errors.isEmpty()) {
      ctx.status(400)
          .json(
              Json.object("error", "ValidationError", "message", errors.get(0), "errors", errors));
      return;
    }
    String repeat = in.repeatTypeOrNone();
    ZoneId zone = in.zone(config.defaultTimeZone());
    Instant due = in.dueDate() == null ? now : in.dueInstant(zone);
    String recurrence =
        "none".equals(repeat)
            ? null
            : RecurrenceEngine.schedule(repeat, in.wallClockDue(zone), zone).toString();
    Task task =
        db.inTransaction(
            c -> {
              if (in.parentTaskId() != null
                  && Tasks.find(c, in.parentTaskId())
                      .filter(p -> p.userId().equals(user))
                      .isEmpty()) {
                throw ApiError.badRequest("parent task " + in.parentTaskId() + " not found");
              }
              long id =
                  Tasks.insertTask(
                      c, user, in.title().trim(), due, repeat, recurrence, in.parentTaskId(), now);
              Tasks.activity(c, id, user, "created", null, now);
              if (recurrence != null) {
                trigger.enqueue(errand, c, id, "create", user);
              }
              return Tasks.find(c, id).orElseThrow();
            });
    ctx.status(201).json(task);
  }

  private void getTask(Context ctx) {
    String user = user(ctx);
    long id = id(ctx);
    Map<String, Object> body =
        db.read(
            c -> {
              Task t =
                  Tasks.find(c, id)
                      .filter(x -> x.userId().equals(user))
                      .orElseThrow(() -> ApiError.notFound("Task " + id + " not found"));
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("task", t);
              m.put("occurrences", t.isRecurringOriginal() ? Tasks.occurrences(c, id) : List.of());
              m.put("activity", Tasks.activityOf(c, id));
              return m;
            });
    ctx.json(body);
  }

  private void completeTask(Context ctx) {
    String user = user(ctx);
    long id = id(ctx);
    Task task =
        db.inTransaction(
            c -> {
              Task t = owned(c, id, user);
              if (!Tasks.complete(c, id, user, config.clock().instant())) {
                throw new ApiError(409, "Conflict", "Task " + id + " is already completed");
              }
              if (t.isRecurringOriginal() || t.parentRecurringId() != null) {
                trigger.enqueue(errand, c, id, "complete", user);
              }
              return Tasks.find(c, id).orElseThrow();
            });
    ctx.json(task);
  }

  private void deleteTask(Context ctx) {
    String user = user(ctx);
    long id = id(ctx);
    db.inTransaction(
        c -> {
          Task t = owned(c, id, user);
          Tasks.delete(c, id, user);
          if (t.isRecurringOriginal()) {
            trigger.enqueue(errand, c, id, "delete", user);
          }
          return null;
        });
    ctx.status(204);
  }

  private static Task owned(java.sql.Connection c, long id, String user)
      throws java.sql.SQLException {
    Optional<Task> t = Tasks.find(c, id).filter(x -> x.userId().equals(user));
    return t.orElseThrow(() -> ApiError.notFound("Task " + id + " not found"));
  }

  private void dailyMaintenance(JobContext ctx, Maintenance m) {
    Map<String, Object> health = service.getHealthStatus();
    if (!"healthy".equals(health.get("status"))) {
      alerts.raise("worker-unhealthy", "high", "Worker service unhealthy: " + health.get("error"));
    }
    int cleaned = service.cleanupOrphanedRecurringTasks();
    log.info("Daily maintenance completed: {} tasks cleaned", cleaned);
    ctx.result(Json.object("cleanedCount", cleaned, "status", health.get("status")));
  }

  private void weeklyMaintenance(JobContext ctx, Maintenance m) {
    int repaired = service.validateRecurringTaskConsistency();
    Object avg = service.processing().get("avgProcessingTime");
    if (avg instanceof Number n && n.doubleValue() > 1000) {
      alerts.raise(
          "worker-slow",
          "medium",
          "Worker performance degradation detected: average " + n + " ms per operation");
    }
    log.info("Weekly maintenance completed: {} missing occurrences created", repaired);
    ctx.result(Json.object("repairedCount", repaired, "avgProcessingTime", avg));
  }

  private static String user(Context ctx) {
    String user = ctx.header(USER_HEADER);
    if (user == null || user.isBlank() || user.length() > 100) {
      throw new ApiError(
          401, "Unauthorized", "send the caller's user id in the " + USER_HEADER + " header");
    }
    return user;
  }

  private static long id(Context ctx) {
    String id = ctx.pathParam("id");
    if (!id.matches("\\d{1,18}")) {
      throw ApiError.notFound("Task " + id + " not found");
    }
    return Long.parseLong(id);
  }

  private String internalBaseUrl() {
    return config.internalBaseUrl() != null ? config.internalBaseUrl() : baseUrl();
  }

  /** The URL of this app's own server, e.g. {@code http://127.0.0.1:3000}. */
  public String baseUrl() {
    return ExampleServer.baseUrl(server, config.host());
  }

  public int port() {
    return server.port();
  }

  public Errand errand() {
    return errand;
  }

  public WorkerService workerService() {
    return service;
  }

  public Alerts alerts() {
    return alerts;
  }

  public ExampleDatabase database() {
    return db;
  }

  /** Stops the server, then the workers (letting running triggers finish), then the database. */
  @Override
  public void close() {
    ExampleServer.stop(server, alertWatch, errand, db);
  }

  /**
   * Runs the app alone, configured by 003's environment variables (see {@link
   * RecurringTasksConfig#fromEnv}).
   */
  public static void main(String[] args) throws InterruptedException {
    RecurringTasksApp app = start(RecurringTasksConfig.fromEnv(System.getenv()));
    Runtime.getRuntime().addShutdownHook(new Thread(app::close, "recurring-tasks-stop"));
    log.info("recurring tasks on {}", app.baseUrl());
    Thread.currentThread().join();
  }
}
