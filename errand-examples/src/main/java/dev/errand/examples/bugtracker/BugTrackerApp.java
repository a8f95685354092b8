package dev.errand.examples.bugtracker;

import static dev.errand.examples.ExampleDatabase.insert;
import static dev.errand.examples.ExampleDatabase.number;
import static dev.errand.examples.ExampleDatabase.query;
import static dev.errand.examples.ExampleDatabase.queryOne;
import static dev.errand.examples.ExampleDatabase.update;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.errand.Enqueue;
import dev.errand.Errand;
import dev.errand.RecurringJob;
import dev.errand.Schedule;
import dev.errand.examples.Alerts;
import dev.errand.examples.ApiError;
import dev.errand.examples.Env;
import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.ExampleServer;
import dev.errand.examples.Json;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.router.JavalinDefaultRoutingApi;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bug tracker of seed 002 on Errand: authorization, validation, state changes and core writes
 * run in the request; notifications, media cleanup, metric recalculation and cache warming run as
 * durable jobs enqueued in the same transaction; maintenance runs as stored schedules in the
 * low-traffic hours.
 *
 * <p>The {@code X-User-Id} header names the caller (a stand-in for the tracker's login). Endpoints:
 * {@code POST /bugs}, {@code GET /bugs/{id}}, {@code POST /bugs/{id}/comments}, {@code PUT
 * /bugs/{id}/severity}, {@code POST /bugs/{id}/archive}, {@code DELETE /bugs/{id}}, {@code POST
 * /bugs/{id}/media}, {@code GET /media/{id}}, {@code POST /media/{id}/archive}, {@code POST
 * /media/{id}/restore}, {@code POST /sessions}, {@code POST /sessions/{id}/end}, {@code PUT
 * /users/{id}/role}, {@code GET /metrics/{period}}, {@code POST /metrics/{period}/finalize}, {@code
 * GET /dashboard}, {@code GET /inbox}, {@code GET /admin/alerts}, {@code GET /admin/jobs}.
 */
public final class BugTrackerApp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BugTrackerApp.class);
  static final List<String> ROLES = List.of("admin", "lead", "tester");
  static final List<String> SEVERITIES = List.of("low", "medium", "high", "critical");
  static final String USER_HEADER = "X-User-Id";
  static final String MAINTENANCE = "bugtracker-maintenance";
  static final String MEDIA_SWEEP = "bugtracker-media-sweep";
  static final String CACHE_WARM = "bugtracker-cache-warm";

  static final String SCHEMA =
      """
      CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, role TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1);
      CREATE TABLE IF NOT EXISTS bugs (id ${ID}, title TEXT NOT NULL, severity TEXT NOT NULL,
        status TEXT NOT NULL, reporter_id TEXT NOT NULL, assignee_id TEXT, created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL);
      CREATE INDEX IF NOT EXISTS bugs_status ON bugs (status, severity);
      CREATE TABLE IF NOT EXISTS comments (id ${ID}, bug_id BIGINT NOT NULL, author_id TEXT NOT NULL,
        body TEXT NOT NULL, created_at BIGINT NOT NULL);
      CREATE INDEX IF NOT EXISTS comments_bug ON comments (bug_id);
      CREATE TABLE IF NOT EXISTS media (id ${ID}, bug_id BIGINT NOT NULL, file_name TEXT NOT NULL,
        storage_key TEXT NOT NULL, size BIGINT NOT NULL, status TEXT NOT NULL, archived_at BIGINT,
        purged_at BIGINT, created_at BIGINT NOT NULL);
      CREATE INDEX IF NOT EXISTS media_bug ON media (bug_id);
      CREATE INDEX IF NOT EXISTS media_status ON media (status);
      CREATE TABLE IF NOT EXISTS qa_sessions (id ${ID}, user_id TEXT NOT NULL, started_at BIGINT NOT NULL,
        ended_at BIGINT);
      CREATE INDEX IF NOT EXISTS sessions_user ON qa_sessions (user_id, ended_at);
      CREATE TABLE IF NOT EXISTS member_metrics (user_id TEXT NOT NULL, period TEXT NOT NULL,
        bugs_reported BIGINT NOT NULL, critical_bugs BIGINT NOT NULL, sessions_completed BIGINT NOT NULL,
        finalized INTEGER NOT NULL, updated_at BIGINT NOT NULL, PRIMARY KEY (user_id, period));
      CREATE TABLE IF NOT EXISTS notification_deliveries (id ${ID}, dedupe_key TEXT NOT NULL UNIQUE,
        recipient_id TEXT NOT NULL, channel TEXT NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL,
        delivered_at BIGINT NOT NULL);
      CREATE TABLE IF NOT EXISTS inbox (id ${ID}, recipient_id TEXT NOT NULL, kind TEXT NOT NULL,
        message TEXT NOT NULL, bug_id BIGINT, created_at BIGINT NOT NULL);
      CREATE INDEX IF NOT EXISTS inbox_recipient ON inbox (recipient_id, id);
      CREATE TABLE IF NOT EXISTS data_version (id INTEGER PRIMARY KEY, version BIGINT NOT NULL);
      INSERT INTO data_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
      CREATE TABLE IF NOT EXISTS maintenance_reports (id ${ID}, ran_at BIGINT NOT NULL, report TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS audit_log (id ${ID}, actor_id TEXT NOT NULL, action TEXT NOT NULL,
        target TEXT NOT NULL, at BIGINT NOT NULL);
      CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at)
      """;

  /** Body of {@code POST /bugs}. */
  record NewBug(String title, String severity, String assigneeId) {}

  /** Body of {@code POST /bugs/{id}/comments}. */
  record NewComment(String body) {}

  /** Body of {@code PUT /bugs/{id}/severity}. */
  record SeverityChange(String severity) {}

  /** Body of {@code PUT /users/{id}/role}. */
  record RoleChange(String role) {}

  private final BugTrackerConfig config;
  private final ExampleDatabase db;
  private final ObjectMapper mapper = Errand.defaultMapper();
  private final Errand errand;
  private final MediaStorage storage;
  private final DashboardCache cache;
  private final Alerts alerts;
  private final AutoCloseable alertWatch;
  private final List<NotificationChannel> channels;
  private final BugTrackerJobs jobs;
  private volatile Javalin server;

  private BugTrackerApp(BugTrackerConfig config) {
    this.config = config;
    try {
      Files.createDirectories(config.dataDir().resolve("tmp"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + config.dataDir().resolve("tmp"), e);
    }
    this.db = config.database().get();
    db.migrate(SCHEMA);
    db.inTransaction(
        c -> {
          for (Map.Entry<String, String> u : config.users().entrySet()) {
            update(
                c,
                "INSERT INTO users (id, role, active) VALUES (?, ?, 1) ON CONFLICT (id) DO NOTHING",
                u.getKey(),
                u.getValue());
          }
          return null;
        });
    this.errand = Errand.builder().store(db.jobStore()).queue(BugTrackerJobs.QUEUE, 4).build();
    this.storage = config.storage().apply(config.dataDir().resolve("media"));
    this.cache = new DashboardCache(config.clock(), config.cacheTtl());
    this.alerts = new Alerts(db, config.clock(), 3, Duration.ofMinutes(10));
    this.alertWatch = alerts.watch(errand);
    this.channels = List.copyOf(config.channels().apply(db));
    this.jobs =
        new BugTrackerJobs(
            errand, db, config, channels, storage, cache, config.dataDir().resolve("tmp"), alerts);
  }

  /** Opens the database, starts the HTTP server and then the workers and schedules. */
  public static BugTrackerApp start(BugTrackerConfig config) {
    return ExampleServer.launch(
        new BugTrackerApp(config),
        app -> {
          app.server = ExampleServer.start(app.mapper, config.host(), config.port(), app::routes);
          app.begin();
        });
  }

  /** Opens the database and starts the workers without a server, for mounting {@link #routes}. */
  public static BugTrackerApp create(BugTrackerConfig config) {
    return ExampleServer.launch(new BugTrackerApp(config), BugTrackerApp::begin);
  }

  private void begin() {
    errand.start();
    errand.defineSchedule(
        RecurringJob.of(
            MAINTENANCE,
            jobs.maintenance,
            new BugTrackerJobs.Run("low-traffic hours"),
            Schedule.daily(config.lowTrafficTime(), config.zone())));
    errand.defineSchedule(
        RecurringJob.of(
            MEDIA_SWEEP,
            jobs.mediaSweep,
            new BugTrackerJobs.Run("low-traffic hours"),
            Schedule.daily(config.lowTrafficTime().plusMinutes(30), config.zone())));
    errand.defineSchedule(
        RecurringJob.of(
            CACHE_WARM,
            jobs.warmCache,
            new BugTrackerJobs.Run("interval"),
            Schedule.every(config.cacheWarmInterval())));
    log.info(
        "bug tracker: {}; channels {}; maintenance {}, media sweep {}, cache warming {}",
        server == null ? "mounted" : "listening on " + baseUrl(),
        channels.stream().map(NotificationChannel::name).toList(),
        errand.schedule(MAINTENANCE).orElseThrow().schedule(),
        errand.schedule(MEDIA_SWEEP).orElseThrow().schedule(),
        errand.schedule(CACHE_WARM).orElseThrow().schedule());
  }

  /** Adds the bug tracker's routes to a Javalin configuration. */
  public void routes(JavalinDefaultRoutingApi r) {
    ApiError.install(r);
    r.post("/bugs", this::createBug);
    r.get("/bugs/{id}", this::getBug);
    r.post("/bugs/{id}/comments", this::comment);
    r.put("/bugs/{id}/severity", this::changeSeverity);
    r.post("/bugs/{id}/archive", ctx -> retire(ctx, "archived"));
    r.delete("/bugs/{id}", ctx -> retire(ctx, "deleted"));
    r.post("/bugs/{id}/media", this::upload);
    r.get("/media/{id}", ctx -> ctx.json(db.read(c -> media(c, id(ctx)))));
    r.post("/media/{id}/archive", this::archiveMedia);
    r.post("/media/{id}/restore", this::restoreMedia);
    r.post("/sessions", this::startSession);
    r.post("/sessions/{id}/end", this::endSession);
    r.put("/users/{id}/role", this::changeRole);
    r.get("/metrics/{period}", ctx -> ctx.json(db.read(c -> metrics(c, ctx.pathParam("period")))));
    r.post("/metrics/{period}/finalize", this::finalizeMetrics);
    r.get("/dashboard", this::dashboard);
    r.get(
        "/inbox",
        ctx -> {
          String me = caller(ctx).id;
          ctx.json(
              db.read(
                  c ->
                      query(
                          c,
                          "SELECT kind, message, bug_id FROM inbox WHERE recipient_id = ? ORDER BY id",
                          rs ->
                              Json.object(
                                  "kind",
                                  rs.getString(1),
                                  "message",
                                  rs.getString(2),
                                  "bugId",
                                  rs.getLong(3)),
                          me)));
        });
    r.get(
        "/admin/alerts",
        ctx -> {
          require(caller(ctx), "admin");
          ctx.json(alerts.list());
        });
    r.get(
        "/admin/jobs",
        ctx -> {
          require(caller(ctx), "admin");
          ctx.json(jobStats());
        });
  }

  // ------------------------------------------------------------------ users

  private record User(String id, String role) {}

  private User caller(Context ctx) {
    String id = ctx.header(USER_HEADER);
    if (id == null || id.isBlank()) {
      throw new ApiError(
          401, "Unauthorized", "send your user id in the " + USER_HEADER + " header");
    }
    return db.read(
            c ->
                queryOne(
                    c,
                    "SELECT id, role FROM users WHERE id = ? AND active = 1",
                    rs -> new User(rs.getString(1), rs.getString(2)),
                    id))
        .orElseThrow(
            () -> new ApiError(401, "Unauthorized", "user '" + id + "' is not an active user"));
  }

  private static void require(User u, String... roles) {
    if (!List.of(roles).contains(u.role)) {
      throw ApiError.forbidden(
          u.id
              + " ("
              + u.role
              + ") may not do this; it needs the role "
              + String.join(" or ", roles));
    }
  }

  // ------------------------------------------------------------------ bugs

  private void createBug(Context ctx) {
    User me = caller(ctx);
    NewBug in = ApiError.body(ctx, mapper, NewBug.class);
    if (in.title() == null || in.title().isBlank() || in.title().length() > 200) {
      throw ApiError.badRequest("title is required, 1-200 characters");
    }
    String severity = severity(in.severity() == null ? "medium" : in.severity());
    Instant now = config.clock().instant();
    Map<String, Object> bug =
        db.inTransaction(
            c -> {
              if (in.assigneeId() != null
                  && number(
                          c,
                          "SELECT COUNT(*) FROM users WHERE id = ? AND active = 1",
                          in.assigneeId())
                      == 0) {
                throw ApiError.badRequest(
                    "assignee '" + in.assigneeId() + "' is not an active user");
              }
              long id =
                  insert(
                          c,
                          "INSERT INTO bugs (title, severity, status, reporter_id, assignee_id, created_at, updated_at)"
                              + " VALUES (?, ?, 'open', ?, ?, ?, ?) RETURNING id",
                          in.title().trim(),
                          severity,
                          me.id,
                          in.assigneeId(),
                          now.toEpochMilli(),
                          now.toEpochMilli())
                      .orElseThrow();
              jobs.countReportedBug(c, me.id, now);
              bumpVersion(c);
              return bug(c, id);
            });
    ctx.status(201).json(bug);
  }

  private void getBug(Context ctx) {
    caller(ctx);
    long id = id(ctx);
    ctx.json(
        db.read(
            c -> {
              Map<String, Object> bug = bug(c, id);
              bug.put(
                  "media",
                  query(
                      c,
                      "SELECT id FROM media WHERE bug_id = ? ORDER BY id",
                      rs -> rs.getLong(1),
                      id));
              return bug;
            }));
  }

  private void comment(Context ctx) {
    User me = caller(ctx);
    long bugId = id(ctx);
    NewComment in = ApiError.body(ctx, mapper, NewComment.class);
    if (in.body() == null || in.body().isBlank() || in.body().length() > 10_000) {
      throw ApiError.badRequest("body is required, 1-10000 characters");
    }
    long commentId =
        db.inTransaction(
            c -> {
              openBug(c, bugId);
              long id =
                  insert(
                          c,
                          "INSERT INTO comments (bug_id, author_id, body, created_at) VALUES (?, ?, ?, ?) RETURNING id",
                          bugId,
                          me.id,
                          in.body(),
                          config.clock().instant().toEpochMilli())
                      .orElseThrow();
              if (in.body().contains("@")) {
                errand.enqueue(
                    c,
                    jobs.notify,
                    new BugTrackerJobs.Notify("mention", bugId, id, null, null, me.id, null),
                    Enqueue.now());
              }
              return id;
            });
    ctx.status(201).json(Json.object("id", commentId, "bugId", bugId));
  }

  private void changeSeverity(Context ctx) {
    User me = caller(ctx);
    long bugId = id(ctx);
    String severity = severity(ApiError.body(ctx, mapper, SeverityChange.class).severity());
    Map<String, Object> bug =
        db.inTransaction(
            c -> {
              Map<String, Object> b = openBug(c, bugId);
              if (!me.id.equals(b.get("reporterId")) && !me.id.equals(b.get("assigneeId"))) {
                require(me, "lead", "admin");
              }
              String old = (String) b.get("severity");
              if (old.equals(severity)) {
                return b;
              }
              update(
                  c,
                  "UPDATE bugs SET severity = ?, updated_at = ? WHERE id = ?",
                  severity,
                  config.clock().instant().toEpochMilli(),
                  bugId);
              audit(c, me, "severity " + old + " -> " + severity, "bug " + bugId);
              bumpVersion(c);
              errand.enqueue(
                  c,
                  jobs.notify,
                  new BugTrackerJobs.Notify(
                      "severity_changed",
                      bugId,
                      null,
                      null,
                      null,
                      me.id,
                      "from " + old + " to " + severity),
                  Enqueue.now());
              recalculate(c, b, "severity change of bug " + bugId);
              return bug(c, bugId);
            });
    ctx.json(bug);
  }

  /**
   * Archive (reporter, lead, admin) or delete (admin) a bug: its media are archived and cleaned up.
   */
  private void retire(Context ctx, String status) {
    User me = caller(ctx);
    long bugId = id(ctx);
    Map<String, Object> bug =
        db.inTransaction(
            c -> {
              Map<String, Object> b = bug(c, bugId);
              if (status.equals("deleted")) {
                require(me, "admin");
              } else if (!me.id.equals(b.get("reporterId"))) {
                require(me, "lead", "admin");
              }
              if (b.get("status").equals(status) || b.get("status").equals("deleted")) {
                throw new ApiError(
                    409, "Conflict", "bug " + bugId + " is already " + b.get("status"));
              }
              long now = config.clock().instant().toEpochMilli();
              update(
                  c, "UPDATE bugs SET status = ?, updated_at = ? WHERE id = ?", status, now, bugId);
              audit(c, me, status, "bug " + bugId);
              for (long mediaId :
                  query(
                      c,
                      "SELECT id FROM media WHERE bug_id = ? AND status = 'active'",
                      rs -> rs.getLong(1),
                      bugId)) {
                update(
                    c,
                    "UPDATE media SET status = 'archived', archived_at = ? WHERE id = ?",
                    now,
                    mediaId);
                jobs.enqueueCleanup(c, mediaId);
              }
              bumpVersion(c);
              recalculate(c, b, "bug " + bugId + " " + status);
              return bug(c, bugId);
            });
    ctx.json(bug);
  }

  private void recalculate(Connection c, Map<String, Object> bug, String reason)
      throws SQLException {
    List<String> users = new java.util.ArrayList<>();
    users.add((String) bug.get("reporterId"));
    if (bug.get("assigneeId") != null) {
      users.add((String) bug.get("assigneeId"));
    }
    String period = jobs.period(Instant.parse((String) bug.get("createdAt")));
    errand.enqueue(
        c, jobs.recalculate, new BugTrackerJobs.Recalculate(users, period, reason), Enqueue.now());
  }

  // ------------------------------------------------------------------ media

  private void upload(Context ctx) throws IOException {
    User me = caller(ctx);
    long bugId = id(ctx);
    byte[] bytes = ctx.bodyAsBytes();
    String name = Optional.ofNullable(ctx.header("X-File-Name")).orElse("upload.bin");
    if (bytes.length == 0 || bytes.length > 10 * 1024 * 1024) {
      throw ApiError.badRequest("send the file as the request body, 1 byte to 10 MiB");
    }
    db.read(c -> openBug(c, bugId));
    String key = storage.put(name, bytes);
    long id =
        db.inTransaction(
            c ->
                insert(
                        c,
                        "INSERT INTO media (bug_id, file_name, storage_key, size, status, created_at)"
                            + " VALUES (?, ?, ?, ?, 'active', ?) RETURNING id",
                        bugId,
                        name,
                        key,
                        bytes.length,
                        config.clock().instant().toEpochMilli())
                    .orElseThrow());
    log.debug("{} uploaded media {} to bug {}", me.id, id, bugId);
    ctx.status(201).json(db.read(c -> media(c, id)));
  }

  private void archiveMedia(Context ctx) {
    User me = caller(ctx);
    long id = id(ctx);
    Map<String, Object> m =
        db.inTransaction(
            c -> {
              Map<String, Object> media = media(c, id);
              if (!me.id.equals(bug(c, (Long) media.get("bugId")).get("reporterId"))) {
                require(me, "lead", "admin");
              }
              if (update(
                      c,
                      "UPDATE media SET status = 'archived', archived_at = ? WHERE id = ? AND status = 'active'",
                      config.clock().instant().toEpochMilli(),
                      id)
                  == 0) {
                throw new ApiError(
                    409, "Conflict", "media " + id + " is " + media.get("status") + ", not active");
              }
              jobs.enqueueCleanup(c, id);
              audit(c, me, "archived", "media " + id);
              return media(c, id);
            });
    ctx.json(m);
  }

  private void restoreMedia(Context ctx) {
    User me = caller(ctx);
    require(me, "lead", "admin");
    long id = id(ctx);
    ctx.json(
        db.inTransaction(
            c -> {
              Map<String, Object> media = media(c, id);
              if (update(
                      c,
                      "UPDATE media SET status = 'active', archived_at = NULL WHERE id = ? AND status = 'archived'",
                      id)
                  == 0) {
                throw new ApiError(
                    409,
                    "Conflict",
                    "media "
                        + id
                        + " is "
                        + media.get("status")
                        + "; only archived media whose file is not being deleted can be restored");
              }
              audit(c, me, "restored", "media " + id);
              return media(c, id);
            }));
  }

  // ------------------------------------------------------------------ sessions, roles, metrics

  private void startSession(Context ctx) {
    User me = caller(ctx);
    long id =
        db.inTransaction(
            c -> {
              long s =
                  insert(
                          c,
                          "INSERT INTO qa_sessions (user_id, started_at) VALUES (?, ?) RETURNING id",
                          me.id,
                          config.clock().instant().toEpochMilli())
                      .orElseThrow();
              bumpVersion(c);
              errand.enqueue(
                  c,
                  jobs.notify,
                  new BugTrackerJobs.Notify("session_started", null, null, s, null, me.id, null),
                  Enqueue.now());
              errand.enqueue(
                  c,
                  jobs.warmCache,
                  new BugTrackerJobs.Run("session " + s + " started"),
                  Enqueue.now());
              return s;
            });
    ctx.status(201).json(Json.object("id", id, "userId", me.id));
  }

  private void endSession(Context ctx) {
    User me = caller(ctx);
    long id = id(ctx);
    Instant now = config.clock().instant();
    db.inTransaction(
        c -> {
          if (update(
                  c,
                  "UPDATE qa_sessions SET ended_at = ? WHERE id = ? AND user_id = ? AND ended_at IS NULL",
                  now.toEpochMilli(),
                  id,
                  me.id)
              == 0) {
            throw ApiError.notFound("no running session " + id + " of " + me.id);
          }
          bumpVersion(c);
          errand.enqueue(
              c,
              jobs.notify,
              new BugTrackerJobs.Notify("session_ended", null, null, id, null, me.id, null),
              Enqueue.now());
          errand.enqueue(
              c,
              jobs.recalculate,
              new BugTrackerJobs.Recalculate(
                  List.of(me.id), jobs.period(now), "session " + id + " completed"),
              Enqueue.now());
          errand.enqueue(
              c, jobs.warmCache, new BugTrackerJobs.Run("session " + id + " ended"), Enqueue.now());
          return null;
        });
    ctx.json(Json.object("id", id, "ended", true));
  }

  private void changeRole(Context ctx) {
    User me = caller(ctx);
    require(me, "admin");
    String target = ctx.pathParam("id");
    String role = ApiError.body(ctx, mapper, RoleChange.class).role();
    if (role == null || !ROLES.contains(role)) {
      throw ApiError.badRequest("role must be one of " + ROLES + ", got " + role);
    }
    db.inTransaction(
        c -> {
          String old =
              queryOne(c, "SELECT role FROM users WHERE id = ?", rs -> rs.getString(1), target)
                  .orElseThrow(() -> ApiError.notFound("user " + target + " not found"));
          update(c, "UPDATE users SET role = ? WHERE id = ?", role, target);
          audit(c, me, "role " + old + " -> " + role, "user " + target);
          errand.enqueue(
              c,
              jobs.notify,
              new BugTrackerJobs.Notify(
                  "role_changed", null, null, null, target, me.id, "from " + old + " to " + role),
              Enqueue.now());
          return null;
        });
    ctx.json(Json.object("id", target, "role", role));
  }

  private void finalizeMetrics(Context ctx) {
    User me = caller(ctx);
    require(me, "lead", "admin");
    String period = ctx.pathParam("period");
    if (!period.matches("\\d{4}-\\d{2}")) {
      throw ApiError.badRequest("period must be yyyy-MM, got " + period);
    }
    int n =
        db.inTransaction(
            c -> {
              int changed =
                  update(
                      c,
                      "UPDATE member_metrics SET finalized = 1, updated_at = ? WHERE period = ? AND finalized = 0",
                      config.clock().instant().toEpochMilli(),
                      period);
              audit(c, me, "finalized", "metrics " + period);
              bumpVersion(c);
              errand.enqueue(
                  c,
                  jobs.warmCache,
                  new BugTrackerJobs.Run("metrics of " + period + " finalized"),
                  Enqueue.now());
              return changed;
            });
    ctx.json(Json.object("period", period, "finalized", n));
  }

  private void dashboard(Context ctx) {
    caller(ctx);
    long version = db.read(BugTrackerApp::version);
    Optional<Object> cached = cache.get("dashboard", version);
    if (cached.isPresent()) {
      ctx.header("X-Cache", "hit").json(cached.get());
      return;
    }
    ctx.header("X-Cache", "miss").json(jobs.summary());
  }

  /**
   * Per job type: attempts started, succeeded, failed, retried, dead-lettered, failure rate, times.
   */
  private Map<String, Object> jobStats() {
    MeterRegistry registry = errand.meterRegistry();
    Map<String, Object> out = new LinkedHashMap<>();
    for (String type : errand.typeNames()) {
      Map<String, Object> t = new LinkedHashMap<>();
      double started = 0;
      for (String name : List.of("started", "succeeded", "failed", "retried", "dead")) {
        double v =
            registry.find("errand.jobs." + name).tag("type", type).counters().stream()
                .mapToDouble(Counter::count)
                .sum();
        t.put(name, (long) v);
        started = name.equals("started") ? v : started;
      }
      t.put("failureRate", started == 0 ? 0.0 : ((Long) t.get("failed")) / started);
      Timer timer = registry.find("errand.jobs.duration").tag("type", type).timer();
      t.put("meanMillis", timer == null ? 0.0 : timer.mean(TimeUnit.MILLISECONDS));
      t.put("maxMillis", timer == null ? 0.0 : timer.max(TimeUnit.MILLISECONDS));
      out.put(type, t);
    }
    return out;
  }

  // ------------------------------------------------------------------ rows

  private static Map<String, Object> bug(Connection c, long id) throws SQLException {
    return queryOne(
            c,
            "SELECT id, title, severity, status, reporter_id, assignee_id, created_at FROM bugs WHERE id = ?",
            rs ->
                Json.object(
                    "id",
                    rs.getLong(1),
                    "title",
                    rs.getString(2),
                    "severity",
                    rs.getString(3),
                    "status",
                    rs.getString(4),
                    "reporterId",
                    rs.getString(5),
                    "assigneeId",
                    rs.getString(6),
                    "createdAt",
                    Instant.ofEpochMilli(rs.getLong(7)).toString()),
            id)
        .orElseThrow(() -> ApiError.notFound("bug " + id + " not found"));
  }

  private static Map<String, Object> openBug(Connection c, long id) throws SQLException {
    Map<String, Object> b = bug(c, id);
    if (!b.get("status").equals("open")) {
      throw new ApiError(409, "Conflict", "bug " + id + " is " + b.get("status"));
    }
    return b;
  }

  private static Map<String, Object> media(Connection c, long id) throws SQLException {
    return queryOne(
            c,
            "SELECT id, bug_id, file_name, size, status, archived_at, purged_at FROM media WHERE id = ?",
            rs -> {
              long archived = rs.getLong(6);
              boolean hasArchived = !rs.wasNull();
              long purged = rs.getLong(7);
              boolean hasPurged = !rs.wasNull();
              return Json.object(
                  "id",
                  rs.getLong(1),
                  "bugId",
                  rs.getLong(2),
                  "fileName",
                  rs.getString(3),
                  "size",
                  rs.getLong(4),
                  "status",
                  rs.getString(5),
                  "archivedAt",
                  hasArchived ? Instant.ofEpochMilli(archived).toString() : null,
                  "purgedAt",
                  hasPurged ? Instant.ofEpochMilli(purged).toString() : null);
            },
            id)
        .orElseThrow(() -> ApiError.notFound("media " + id + " not found"));
  }

  static List<Map<String, Object>> metrics(Connection c, String period) throws SQLException {
    return query(
        c,
        "SELECT user_id, bugs_reported, critical_bugs, sessions_completed, finalized FROM member_metrics"
            + " WHERE period = ? ORDER BY user_id",
        rs ->
            Json.object(
                "userId",
                rs.getString(1),
                "bugsReported",
                rs.getLong(2),
                "criticalBugs",
                rs.getLong(3),
                "sessionsCompleted",
                rs.getLong(4),
                "finalized",
                rs.getInt(5) == 1),
        period);
  }

  /** The audit entry of a change, written in the change's own transaction. */
  private void audit(Connection c, User actor, String action, String target) throws SQLException {
    update(
        c,
        "INSERT INTO audit_log (actor_id, action, target, at) VALUES (?, ?, ?, ?)",
        actor.id,
        action,
        target,
        config.clock().instant().toEpochMilli());
  }

  static long version(Connection c) throws SQLException {
    return number(c, "SELECT version FROM data_version WHERE id = 1");
  }

  /** Marks the data the dashboard shows as changed, in the caller's transaction. */
  static void bumpVersion(Connection c) throws SQLException {
    update(c, "UPDATE data_version SET version = version + 1 WHERE id = 1");
  }

  private static String severity(String s) {
    if (s == null || !SEVERITIES.contains(s)) {
      throw ApiError.badRequest("severity must be one of " + SEVERITIES + ", got " + s);
    }
    return s;
  }

  private static long id(Context ctx) {
    String id = ctx.pathParam("id");
    if (!id.matches("\\d{1,18}")) {
      throw ApiError.notFound(ctx.path() + " not found");
    }
    return Long.parseLong(id);
  }

  // ------------------------------------------------------------------ accessors

  public String baseUrl() {
    return ExampleServer.baseUrl(server, config.host());
  }

  public Errand errand() {
    return errand;
  }

  public ExampleDatabase database() {
    return db;
  }

  public DashboardCache cache() {
    return cache;
  }

  public Alerts alerts() {
    return alerts;
  }

  public MediaStorage storage() {
    return storage;
  }

  /** The job types, for tests in this package. */
  BugTrackerJobs jobs() {
    return jobs;
  }

  /** Stops the server, then the workers, then the database. */
  @Override
  public void close() {
    ExampleServer.stop(server, alertWatch, errand, db);
  }

  /**
   * Runs the bug tracker alone: {@code DATA_DIR} (default {@code data/bugtracker}), {@code PORT}
   * (7002), {@code DATABASE_URL} (a jdbc:postgresql:// URL instead of the SQLite file), {@code
   * WEBHOOK_URL} (also post notifications there).
   */
  public static void main(String[] args) throws InterruptedException {
    Env env = Env.of(System.getenv());
    BugTrackerConfig.Builder b =
        BugTrackerConfig.builder(Path.of(env.get("DATA_DIR").orElse("data/bugtracker"))).port(7002);
    env.read("PORT", v -> b.port(Integer.parseInt(v)))
        .read("DATABASE_URL", v -> b.database(() -> ExampleDatabase.fromSetting(v)))
        .read(
            "WEBHOOK_URL",
            v -> {
              java.net.URI url = java.net.URI.create(v);
              b.channels(
                  db ->
                      List.of(
                          new InboxChannel(db, java.time.Clock.systemUTC()),
                          new WebhookChannel(url)));
            });
    BugTrackerApp app = start(b.build());
    Runtime.getRuntime().addShutdownHook(new Thread(app::close, "bugtracker-stop"));
    Thread.currentThread().join();
  }
}
