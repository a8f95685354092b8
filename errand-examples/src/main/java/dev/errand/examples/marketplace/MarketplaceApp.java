package dev.errand.examples.marketplace;

import static dev.errand.examples.ExampleDatabase.insert;
import static dev.errand.examples.ExampleDatabase.query;
import static dev.errand.examples.ExampleDatabase.queryOne;
import static dev.errand.examples.ExampleDatabase.update;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.errand.AfterResponse;
import dev.errand.AfterResponseLane;
import dev.errand.Errand;
import dev.errand.examples.ApiError;
import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.ExampleServer;
import dev.errand.examples.Json;
import dev.errand.javalin.AfterResponsePlugin;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.router.JavalinDefaultRoutingApi;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task marketplace of seed 000 on Errand: posters post tasks, workers accept, start and finish
 * them, posters confirm, admins moderate users and tasks. Authorization, validation, the state
 * transition and its write run in the request; everything 000 moves out of the request lifecycle
 * (cache invalidation, live notifications to browsers over Server-Sent Events, the {@code
 * lastAlertedAt} one-field update, admin-log inserts) runs after the response through Errand's
 * after-response lane ({@link AfterResponse#run(String, Runnable)}), wired into Javalin with
 * errand-javalin's {@link AfterResponsePlugin}: the client has the whole response before any of it
 * starts, the tasks of one request run in the order added, and one failing is logged and counted
 * and never stops the next.
 *
 * <p>The {@code X-User-Id} header names the caller (a stand-in for the marketplace's login; the
 * event stream also takes {@code ?userId=}, since a browser's {@code EventSource} sends no
 * headers). Endpoints are listed in docs/examples.md, "Marketplace (000)".
 *
 * <p>Thread-safe. Handlers run on the server's request threads, background work on the lane's
 * threads, each event stream on the request thread that serves it.
 */
public final class MarketplaceApp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MarketplaceApp.class);
  static final String USER_HEADER = "X-User-Id";
  static final String OPEN_TASKS = "tasks:open";
  static final String ADMIN_STATS = "admin:stats";
  static final String ADMIN_USERS = "admin:users";
  static final int MAX_BULK = 100;

  static final String SCHEMA =
      """
      CREATE TABLE IF NOT EXISTS market_users (id TEXT PRIMARY KEY, role TEXT NOT NULL,
        status TEXT NOT NULL, cancellations INTEGER NOT NULL, updated_at BIGINT NOT NULL);
      CREATE TABLE IF NOT EXISTS market_tasks (id ${ID}, poster_id TEXT NOT NULL, worker_id TEXT,
        title TEXT NOT NULL, description TEXT NOT NULL, budget BIGINT NOT NULL, status TEXT NOT NULL,
        hidden INTEGER NOT NULL, cancel_reason TEXT, duplicated_from BIGINT, created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL, last_alerted_at BIGINT);
      CREATE INDEX IF NOT EXISTS market_tasks_status ON market_tasks (status, hidden, id);
      CREATE INDEX IF NOT EXISTS market_tasks_poster ON market_tasks (poster_id);
      CREATE INDEX IF NOT EXISTS market_tasks_worker ON market_tasks (worker_id);
      CREATE TABLE IF NOT EXISTS market_admin_logs (id ${ID}, admin_id TEXT NOT NULL,
        action TEXT NOT NULL, target_type TEXT NOT NULL, target_id TEXT NOT NULL, details TEXT,
        created_at BIGINT NOT NULL);
      CREATE INDEX IF NOT EXISTS market_admin_logs_target ON market_admin_logs (target_type, target_id)
      """;

  /** Task states; {@code deleted} tasks are kept for the admin log but answer 404. */
  static final String OPEN = "open";

  static final String ACCEPTED = "accepted";
  static final String IN_PROGRESS = "in_progress";
  static final String AWAITING = "awaiting_confirmation";
  static final String COMPLETED = "completed";
  static final String CANCELLED = "cancelled";
  static final String DELETED = "deleted";

  /** Body of {@code POST /tasks}. */
  record NewTask(String title, String description, Long budget) {}

  /** Body of {@code PUT /tasks/{id}}: the fields to change, and whether to alert workers again. */
  record TaskEdit(String title, String description, Long budget, Boolean realert) {}

  /** Body of the bulk endpoints. */
  record TaskIds(List<Long> taskIds) {}

  /** Optional body of the cancel endpoints. */
  record Reason(String reason) {}

  record User(String id, String role, String status, int cancellations) {
    boolean admin() {
      return role.equals("admin");
    }

    Map<String, Object> json() {
      return Json.object("id", id, "role", role, "status", status, "cancellations", cancellations);
    }
  }

  record Task(
      long id,
      String posterId,
      String workerId,
      String title,
      String description,
      long budget,
      String status,
      boolean hidden,
      String cancelReason,
      Long duplicatedFrom,
      Instant createdAt,
      Instant updatedAt,
      Instant lastAlertedAt) {

    Map<String, Object> json() {
      return Json.object(
          "id", id,
          "posterId", posterId,
          "workerId", workerId,
          "title", title,
          "description", description,
          "budget", budget,
          "status", status,
          "hidden", hidden,
          "cancelReason", cancelReason,
          "duplicatedFrom", duplicatedFrom,
          "createdAt", createdAt.toString(),
          "updatedAt", updatedAt.toString(),
          "lastAlertedAt", lastAlertedAt == null ? null : lastAlertedAt.toString());
    }

    /** The poster and the worker, if any. */
    Set<String> parties() {
      Set<String> p = new LinkedHashSet<>();
      p.add(posterId);
      if (workerId != null) {
        p.add(workerId);
      }
      return p;
    }
  }

  /** A task before and after one change. */
  record Change(Task before, Task after) {
    Set<String> parties() {
      Set<String> p = new LinkedHashSet<>(before.parties());
      p.addAll(after.parties());
      return p;
    }
  }

  private final MarketplaceConfig config;
  private final ExampleDatabase db;
  private final ObjectMapper mapper = Errand.defaultMapper();
  private final Errand errand;
  private final AfterResponseLane lane;
  private final TaskCache cache;
  private final NotificationStream streams;
  private final Notifications notifications;
  private volatile Javalin server;

  private MarketplaceApp(MarketplaceConfig config) {
    this.config = config;
    this.db = config.database().get();
    db.migrate(SCHEMA);
    long now = config.clock().millis();
    db.inTransaction(
        c -> {
          for (Map.Entry<String, String> u : config.users().entrySet()) {
            update(
                c,
                "INSERT INTO market_users (id, role, status, cancellations, updated_at)"
                    + " VALUES (?, ?, 'active', 0, ?) ON CONFLICT (id) DO NOTHING",
                u.getKey(),
                u.getValue(),
                now);
          }
          return null;
        });
    this.errand = Errand.builder().store(db.jobStore()).build();
    this.lane =
        AfterResponseLane.builder()
            .errand(errand)
            .threads(config.laneThreads())
            .taskTimeout(config.taskTimeout())
            .build();
    this.cache =
        config
            .wrapCache()
            .apply(TaskCache.local(config.clock(), config.cacheTtl(), config.cacheMaxEntries()));
    this.streams = new NotificationStream(mapper, config.sseKeepAlive(), config.sseClientBuffer());
    this.notifications = config.wrapNotifications().apply(streams);
  }

  /** Opens the database, starts the lane and Errand, then its own HTTP server. */
  public static MarketplaceApp start(MarketplaceConfig config) {
    return ExampleServer.launch(
        new MarketplaceApp(config),
        app -> {
          app.errand.start();
          app.server =
              ExampleServer.start(
                  app.mapper,
                  config.host(),
                  config.port(),
                  cfg -> cfg.registerPlugin(app.afterResponsePlugin()),
                  app::routes);
          app.logStarted();
        });
  }

  /**
   * Opens the database and starts the lane and Errand without a server, for mounting {@link
   * #routes} into another one; that server must register {@link #afterResponsePlugin()}, or the
   * background work would not wait for the response.
   */
  public static MarketplaceApp create(MarketplaceConfig config) {
    return ExampleServer.launch(
        new MarketplaceApp(config),
        app -> {
          app.errand.start();
          app.logStarted();
        });
  }

  private void logStarted() {
    log.info(
        "marketplace: {}; users {}, cancel limit {}, cache ttl {}, lane {}",
        server == null ? "mounted" : "listening on " + baseUrl(),
        config.users().keySet(),
        config.cancelLimit(),
        config.cacheTtl(),
        lane);
  }

  /** A new plugin that runs this app's background work after each response; one per server. */
  public AfterResponsePlugin afterResponsePlugin() {
    return AfterResponsePlugin.of(lane);
  }

  /** Adds the marketplace's routes to a Javalin configuration. */
  public void routes(JavalinDefaultRoutingApi r) {
    ApiError.install(r);
    r.get("/events", this::events);
    r.get("/tasks", this::openTasks);
    r.post("/tasks", this::createTask);
    r.get("/tasks/mine", this::myTasks);
    r.post("/tasks/bulk-cancel", this::bulkCancel);
    r.post("/tasks/bulk-delete", this::bulkDelete);
    r.get("/tasks/{id}", this::getTask);
    r.put("/tasks/{id}", this::editTask);
    r.delete("/tasks/{id}", this::deleteTask);
    r.post("/tasks/{id}/accept", this::acceptTask);
    r.post("/tasks/{id}/cancel", this::cancelTask);
    r.post("/tasks/{id}/start", this::startTask);
    r.post("/tasks/{id}/complete", this::markComplete);
    r.post("/tasks/{id}/confirm", this::confirmComplete);
    r.post("/tasks/{id}/duplicate", this::duplicateTask);
    r.get("/admin/stats", this::adminStats);
    r.get("/admin/users", this::adminUsers);
    r.get("/admin/logs", this::adminLogs);
    r.post("/admin/users/{id}/block", ctx -> userStatus(ctx, "block", "blocked"));
    r.post("/admin/users/{id}/unblock", ctx -> userStatus(ctx, "unblock", "active"));
    r.post("/admin/users/{id}/ban", ctx -> userStatus(ctx, "ban", "banned"));
    r.post("/admin/users/{id}/reset-cancellations", this::resetCancellations);
    r.post("/admin/tasks/{id}/cancel", this::adminCancel);
    r.post("/admin/tasks/{id}/unassign", this::unassign);
    r.post("/admin/tasks/{id}/hide", this::hide);
  }

  // ------------------------------------------------------------------ callers

  /** The caller, who may read: 401 without a known user id, 403 if banned. */
  private User caller(Context ctx, String id) {
    if (id == null || id.isBlank()) {
      throw new ApiError(
          401, "Unauthorized", "send your user id in the " + USER_HEADER + " header");
    }
    User u =
        db.read(c -> user(c, id))
            .orElseThrow(() -> new ApiError(401, "Unauthorized", "user '" + id + "' is unknown"));
    if (u.status().equals("banned")) {
      throw ApiError.forbidden(
          "user " + id + " is banned from the marketplace; this cannot be undone here");
    }
    return u;
  }

  private User caller(Context ctx) {
    return caller(ctx, ctx.header(USER_HEADER));
  }

  /**
   * The caller, who may change things: also 403 if blocked. Refuses (500, before anything is
   * written) to serve a change on a server without {@link #afterResponsePlugin()}: its background
   * work would not wait for the response.
   */
  private User actor(Context ctx) {
    if (!AfterResponse.inRequest()) {
      throw new IllegalStateException(
          "the marketplace's routes are served without its after-response plugin: register"
              + " app.afterResponsePlugin() on this server");
    }
    User u = caller(ctx);
    if (u.status().equals("blocked")) {
      throw ApiError.forbidden(
          "user "
              + u.id()
              + " is blocked by an admin: you can read tasks but not post, accept or change"
              + " them; ask an admin to unblock you");
    }
    return u;
  }

  private User admin(Context ctx) {
    User u = actor(ctx);
    if (!u.admin()) {
      throw ApiError.forbidden(u.id() + " is not an admin; this endpoint is for admins only");
    }
    return u;
  }

  // ------------------------------------------------------------------ reads

  private void events(Context ctx) throws InterruptedException {
    String id = ctx.header(USER_HEADER);
    User me = caller(ctx, id != null ? id : ctx.queryParam("userId"));
    try {
      streams.serve(ctx.res(), me.id());
    } catch (IllegalStateException stopping) {
      throw new ApiError(503, "Unavailable", stopping.getMessage());
    } catch (IOException gone) {
      log.debug("event stream of {} closed by the browser: {}", me.id(), gone.toString());
    }
  }

  private void openTasks(Context ctx) {
    caller(ctx);
    cached(
        ctx,
        OPEN_TASKS,
        () ->
            db.read(
                c -> tasks(c, "WHERE status = 'open' AND hidden = 0 ORDER BY id DESC LIMIT 100")));
  }

  private void myTasks(Context ctx) {
    User me = caller(ctx);
    cached(
        ctx,
        userKey(me.id()),
        () ->
            db.read(
                c ->
                    tasks(
                        c,
                        "WHERE (poster_id = ? OR worker_id = ?) AND status <> 'deleted'"
                            + " ORDER BY id DESC LIMIT 100",
                        me.id(),
                        me.id())));
  }

  private void getTask(Context ctx) {
    User me = caller(ctx);
    long id = id(ctx);
    TaskCache.Lookup<Task> t =
        cache.get(taskKey(id), () -> db.read(c -> taskRow(c, id).orElse(null)));
    visible(t.value(), id, me);
    ctx.header("X-Cache", t.hit() ? "hit" : "miss").json(t.value().json());
  }

  private void adminStats(Context ctx) {
    admin(ctx);
    cached(
        ctx,
        ADMIN_STATS,
        () ->
            db.read(
                c ->
                    Json.object(
                        "tasks",
                        counts(
                            c,
                            "SELECT status, COUNT(*) FROM market_tasks GROUP BY status ORDER BY status"),
                        "hiddenTasks",
                        ExampleDatabase.number(
                            c, "SELECT COUNT(*) FROM market_tasks WHERE hidden = 1"),
                        "users",
                        counts(
                            c,
                            "SELECT status, COUNT(*) FROM market_users GROUP BY status ORDER BY status"))));
  }

  private void adminUsers(Context ctx) {
    admin(ctx);
    cached(
        ctx,
        ADMIN_USERS,
        () ->
            db.read(
                c ->
                    query(
                        c,
                        "SELECT id, role, status, cancellations FROM market_users ORDER BY id",
                        rs -> userOf(rs).json())));
  }

  private void adminLogs(Context ctx) {
    admin(ctx);
    ctx.json(
        db.read(
            c ->
                query(
                    c,
                    "SELECT id, admin_id, action, target_type, target_id, details, created_at"
                        + " FROM market_admin_logs ORDER BY id DESC LIMIT 200",
                    rs ->
                        Json.object(
                            "id", rs.getLong(1),
                            "adminId", rs.getString(2),
                            "action", rs.getString(3),
                            "targetType", rs.getString(4),
                            "targetId", rs.getString(5),
                            "details", rs.getString(6),
                            "createdAt", Instant.ofEpochMilli(rs.getLong(7)).toString()))));
  }

  private void cached(Context ctx, String key, Supplier<Object> loader) {
    TaskCache.Lookup<Object> l = cache.get(key, loader);
    ctx.header("X-Cache", l.hit() ? "hit" : "miss").json(l.value());
  }

  // ------------------------------------------------------------------ poster and worker

  private void createTask(Context ctx) {
    User me = actor(ctx);
    NewTask in = ApiError.body(ctx, mapper, NewTask.class);
    String title = title(in.title());
    String description = description(in.description());
    long budget = budget(in.budget());
    Task t = db.inTransaction(c -> insertTask(c, me.id(), title, description, budget, null));
    alerted(t);
    invalidate(t);
    broadcast("broadcast-new-task", new Notification("newTask", t.json()));
    ctx.status(201).json(t.json());
  }

  private void acceptTask(Context ctx) {
    User me = actor(ctx);
    long id = id(ctx);
    Change ch =
        inTask(
            id,
            me,
            (c, t) -> {
              if (t.posterId().equals(me.id())) {
                throw ApiError.forbidden(
                    "you posted task " + id + "; a poster cannot accept their own task");
              }
              if (t.hidden()) {
                throw conflict("task " + id + " is hidden by an admin and cannot be accepted");
              }
              if (me.cancellations() >= config.cancelLimit()) {
                throw ApiError.forbidden(
                    me.id()
                        + " has given back "
                        + me.cancellations()
                        + " accepted tasks, the limit of "
                        + config.cancelLimit()
                        + "; ask an admin to reset your cancellations");
              }
              return move(c, t, "accept", Set.of(OPEN), ACCEPTED, ", worker_id = ?", me.id());
            });
    invalidate(ch);
    notify(
        "notify-task-accepted",
        List.of(ch.after().posterId()),
        new Notification("taskAccepted", Json.object("taskId", id, "workerId", me.id())));
    broadcast("notify-task-removed", removed(id));
    statusChanged(ch);
    ctx.json(ch.after().json());
  }

  private void cancelTask(Context ctx) {
    User me = actor(ctx);
    long id = id(ctx);
    String reason = reason(ctx);
    Change ch =
        inTask(
            id,
            me,
            (c, t) -> {
              if (me.id().equals(t.workerId())) {
                Change moved =
                    move(
                        c,
                        t,
                        "give back",
                        Set.of(ACCEPTED, IN_PROGRESS),
                        OPEN,
                        ", worker_id = NULL, cancel_reason = ?",
                        reason);
                update(
                    c,
                    "UPDATE market_users SET cancellations = cancellations + 1, updated_at = ?"
                        + " WHERE id = ?",
                    now(),
                    me.id());
                return moved;
              }
              if (!me.id().equals(t.posterId())) {
                throw ApiError.forbidden(
                    "only the poster or the assigned worker may cancel task "
                        + id
                        + "; admins use POST /admin/tasks/"
                        + id
                        + "/cancel");
              }
              return posterCancel(c, t, reason);
            });
    if (ch.after().status().equals(OPEN)) { // the worker gave the task back
      invalidate(List.of(ch), ADMIN_USERS);
      notify(
          "notify-task-cancelled",
          List.of(ch.after().posterId()),
          cancelled(id, me.id(), reason, true));
      statusChanged(List.of(ch));
    } else {
      posterCancelled(List.of(ch), me, reason);
    }
    ctx.json(ch.after().json());
  }

  private Change posterCancel(Connection c, Task t, String reason) throws SQLException {
    return move(
        c,
        t,
        "cancel",
        Set.of(OPEN, ACCEPTED, IN_PROGRESS),
        CANCELLED,
        ", cancel_reason = ?",
        reason);
  }

  /** The background work of cancellations by their poster (single and bulk). */
  private void posterCancelled(List<Change> changes, User me, String reason) {
    invalidate(changes);
    AfterResponse.run(
        "notify-task-cancelled",
        () -> {
          for (Change ch : changes) {
            if (ch.before().workerId() != null) {
              notifications.send(
                  ch.before().workerId(), cancelled(ch.after().id(), me.id(), reason, false));
            }
          }
        });
    statusChanged(changes);
    removed(changes);
  }

  private void startTask(Context ctx) {
    workerStep(ctx, "start", ACCEPTED, IN_PROGRESS);
  }

  private void markComplete(Context ctx) {
    workerStep(ctx, "mark complete", IN_PROGRESS, AWAITING);
  }

  private void workerStep(Context ctx, String action, String from, String to) {
    User me = actor(ctx);
    long id = id(ctx);
    Change ch =
        inTask(
            id,
            me,
            (c, t) -> {
              if (!me.id().equals(t.workerId())) {
                throw ApiError.forbidden(
                    "only the worker assigned to task "
                        + id
                        + " may "
                        + action
                        + " it"
                        + (t.workerId() == null ? "; nobody has accepted it" : ""));
              }
              return move(c, t, action, Set.of(from), to, "");
            });
    invalidate(ch);
    statusChanged(ch);
    updated(ch);
    ctx.json(ch.after().json());
  }

  private void confirmComplete(Context ctx) {
    User me = actor(ctx);
    long id = id(ctx);
    Change ch =
        inTask(
            id,
            me,
            (c, t) -> {
              requirePoster(t, me, "confirm");
              return move(c, t, "confirm", Set.of(AWAITING), COMPLETED, "");
            });
    invalidate(ch);
    notify(
        "notify-task-completed",
        List.of(ch.after().workerId()),
        new Notification("taskCompleted", Json.object("taskId", id, "posterId", me.id())));
    statusChanged(ch);
    updated(ch);
    ctx.json(ch.after().json());
  }

  private void editTask(Context ctx) {
    User me = actor(ctx);
    long id = id(ctx);
    TaskEdit in = ApiError.body(ctx, mapper, TaskEdit.class);
    boolean realert = Boolean.TRUE.equals(in.realert());
    if (in.title() == null && in.description() == null && in.budget() == null && !realert) {
      throw ApiError.badRequest(
          "nothing to change: send title, description, budget or \"realert\": true");
    }
    String title = in.title() == null ? null : title(in.title());
    String description = in.description() == null ? null : description(in.description());
    Long budget = in.budget() == null ? null : budget(in.budget());
    Change ch =
        inTask(
            id,
            me,
            (c, t) -> {
              requirePoster(t, me, "edit");
              // An accepted task whose terms change goes back to open: its worker agreed to others.
              Change moved =
                  move(
                      c,
                      t,
                      "edit",
                      Set.of(OPEN, ACCEPTED),
                      OPEN,
                      ", worker_id = NULL, title = ?, description = ?, budget = ?",
                      title != null ? title : t.title(),
                      description != null ? description : t.description(),
                      budget != null ? budget : t.budget());
              return moved;
            });
    boolean reopened = !ch.before().status().equals(ch.after().status());
    invalidate(ch);
    if (realert || reopened) {
      alerted(ch.after());
      invalidate(ch.after());
      broadcast("broadcast-new-task", new Notification("newTask", ch.after().json()));
    }
    updated(ch);
    if (reopened) {
      statusChanged(ch);
    }
    ctx.json(ch.after().json());
  }

  private void deleteTask(Context ctx) {
    User me = actor(ctx);
    long id = id(ctx);
    Change ch = inTask(id, me, (c, t) -> delete(c, t, me));
    deleted(List.of(ch));
    ctx.json(Json.object("id", id, "deleted", true));
  }

  private Change delete(Connection c, Task t, User me) throws SQLException {
    requirePoster(t, me, "delete");
    return move(c, t, "delete", Set.of(OPEN, CANCELLED), DELETED, "");
  }

  /** The background work of deletions (single and bulk). */
  private void deleted(List<Change> changes) {
    invalidate(changes);
    removed(changes);
    statusChanged(changes);
  }

  private void duplicateTask(Context ctx) {
    User me = actor(ctx);
    long id = id(ctx);
    Task copy =
        inTask(
            id,
            me,
            (c, t) -> {
              requirePoster(t, me, "duplicate");
              return insertTask(c, me.id(), t.title(), t.description(), t.budget(), t.id());
            });
    alerted(copy);
    invalidate(copy);
    broadcast("broadcast-new-task", new Notification("newTask", copy.json()));
    ctx.status(201).json(copy.json());
  }

  private void bulkCancel(Context ctx) {
    User me = actor(ctx);
    List<Long> ids = ids(ctx);
    bulk(
        ctx,
        ids,
        me,
        "cancelled",
        (c, t) -> {
          requirePoster(t, me, "cancel");
          return posterCancel(c, t, null);
        },
        changes -> posterCancelled(changes, me, null));
  }

  private void bulkDelete(Context ctx) {
    User me = actor(ctx);
    List<Long> ids = ids(ctx);
    bulk(ctx, ids, me, "deleted", (c, t) -> delete(c, t, me), this::deleted);
  }

  /** Work on one task in a transaction. */
  @FunctionalInterface
  private interface TaskWork<R> {
    R apply(Connection c, Task t) throws SQLException;
  }

  /** Runs {@code work} on task {@code id} as {@code me} sees it (404 if not) in one transaction. */
  private <R> R inTask(long id, User me, TaskWork<R> work) {
    return db.inTransaction(c -> work.apply(c, load(c, id, me)));
  }

  /**
   * Applies {@code step} to each task in its own transaction: one that may not be changed is
   * reported in {@code skipped} with its error and does not stop the others. The background work is
   * one task per kind for all the changed tasks, so a bulk of {@value #MAX_BULK} stays far below
   * the lane's limit of tasks per request.
   */
  private void bulk(
      Context ctx,
      List<Long> ids,
      User me,
      String done,
      TaskWork<Change> step,
      Consumer<List<Change>> background) {
    List<Change> changes = new ArrayList<>();
    List<Map<String, Object>> skipped = new ArrayList<>();
    for (long id : ids) {
      try {
        changes.add(inTask(id, me, step));
      } catch (ApiError e) {
        skipped.add(Json.object("taskId", id, "error", e.code(), "message", e.getMessage()));
      }
    }
    if (!changes.isEmpty()) {
      background.accept(List.copyOf(changes));
    }
    ctx.json(
        Json.object(
            done, changes.stream().map(ch -> ch.after().id()).toList(), "skipped", skipped));
  }

  // ------------------------------------------------------------------ admin

  private void userStatus(Context ctx, String action, String to) {
    User me = admin(ctx);
    String target = ctx.pathParam("id");
    Map<String, Set<String>> from =
        Map.of(
            "block", Set.of("active"),
            "unblock", Set.of("blocked"),
            "ban", Set.of("active", "blocked"));
    User after =
        db.inTransaction(
            c -> {
              User u =
                  user(c, target)
                      .orElseThrow(() -> ApiError.notFound("user " + target + " not found"));
              if (u.admin()) {
                throw ApiError.forbidden(
                    target + " is an admin; admins cannot be blocked or banned here");
              }
              if (!from.get(action).contains(u.status())
                  || update(
                          c,
                          "UPDATE market_users SET status = ?, updated_at = ? WHERE id = ? AND status = ?",
                          to,
                          now(),
                          target,
                          u.status())
                      == 0) {
                throw conflict(
                    "user "
                        + target
                        + " is "
                        + u.status()
                        + "; "
                        + action
                        + " needs a user who is "
                        + String.join(" or ", new TreeSet<>(from.get(action))));
              }
              return user(c, target).orElseThrow();
            });
    notify("notify-user-updated", List.of(target), new Notification("userUpdated", after.json()));
    adminStatsRefresh(action);
    invalidateAdmin();
    adminLog(me, action, "user", target, null);
    ctx.json(after.json());
  }

  private void resetCancellations(Context ctx) {
    User me = admin(ctx);
    String target = ctx.pathParam("id");
    User after =
        db.inTransaction(
            c -> {
              User u =
                  user(c, target)
                      .orElseThrow(() -> ApiError.notFound("user " + target + " not found"));
              update(
                  c,
                  "UPDATE market_users SET cancellations = 0, updated_at = ? WHERE id = ?",
                  now(),
                  target);
              return new User(u.id(), u.role(), u.status(), 0);
            });
    adminStatsRefresh("reset-cancellations");
    AfterResponse.run("invalidate-admin-users", () -> cache.invalidate(List.of(ADMIN_USERS)));
    adminLog(me, "reset-cancellations", "user", target, null);
    ctx.json(after.json());
  }

  private void adminCancel(Context ctx) {
    User me = admin(ctx);
    long id = id(ctx);
    String reason = reason(ctx);
    Change ch =
        inTask(
            id,
            me,
            (c, t) ->
                move(
                    c,
                    t,
                    "cancel",
                    Set.of(OPEN, ACCEPTED, IN_PROGRESS, AWAITING),
                    CANCELLED,
                    ", cancel_reason = ?",
                    reason));
    notify("notify-task-cancelled", ch.parties(), cancelled(id, me.id(), reason, false));
    updated(ch);
    adminStatsRefresh("cancel task " + id);
    invalidate(ch, ADMIN_USERS);
    adminLog(me, "cancel", "task", Long.toString(id), reason);
    ctx.json(ch.after().json());
  }

  private void unassign(Context ctx) {
    User me = admin(ctx);
    long id = id(ctx);
    Change ch =
        inTask(
            id,
            me,
            (c, t) ->
                move(c, t, "unassign", Set.of(ACCEPTED, IN_PROGRESS), OPEN, ", worker_id = NULL"));
    updated(ch);
    adminStatsRefresh("unassign task " + id);
    invalidate(ch, ADMIN_USERS);
    adminLog(me, "unassign", "task", Long.toString(id), "worker " + ch.before().workerId());
    ctx.json(ch.after().json());
  }

  private void hide(Context ctx) {
    User me = admin(ctx);
    long id = id(ctx);
    Change ch =
        inTask(
            id,
            me,
            (c, t) -> {
              if (update(
                      c,
                      "UPDATE market_tasks SET hidden = 1, updated_at = ? WHERE id = ? AND hidden = 0",
                      now(),
                      id)
                  == 0) {
                throw conflict("task " + id + " is hidden already");
              }
              return new Change(t, taskRow(c, id).orElseThrow());
            });
    invalidate(ch, ADMIN_USERS);
    adminLog(me, "hide", "task", Long.toString(id), null);
    ctx.json(ch.after().json());
  }

  // ------------------------------------------------------------------ background work

  /** Invalidates the tasks' details, their parties' lists, the open list and the stats. */
  private void invalidate(List<Change> changes, String... more) {
    Set<String> keys = new LinkedHashSet<>();
    for (Change ch : changes) {
      keys.addAll(keys(ch.before(), ch.after()));
    }
    keys.addAll(List.of(more));
    AfterResponse.run("invalidate-task-cache", () -> cache.invalidate(keys));
  }

  private void invalidate(Change ch, String... more) {
    invalidate(List.of(ch), more);
  }

  private void invalidate(Task t) {
    Set<String> keys = keys(t);
    AfterResponse.run("invalidate-task-cache", () -> cache.invalidate(keys));
  }

  private static Set<String> keys(Task... tasks) {
    Set<String> keys = new LinkedHashSet<>();
    for (Task t : tasks) {
      keys.add(taskKey(t.id()));
      t.parties().forEach(p -> keys.add(userKey(p)));
    }
    keys.add(OPEN_TASKS);
    keys.add(ADMIN_STATS);
    return keys;
  }

  private void invalidateAdmin() {
    AfterResponse.run(
        "invalidate-stats-and-admin-dashboards",
        () -> cache.invalidate(List.of(ADMIN_STATS, ADMIN_USERS)));
  }

  /** 000's {@code Task.updateOne({_id}, {$set: {lastAlertedAt}})}: one field, no read. */
  private void alerted(Task t) {
    AfterResponse.run(
        "set-last-alerted-at",
        () ->
            db.inTransaction(
                c ->
                    update(
                        c,
                        "UPDATE market_tasks SET last_alerted_at = ? WHERE id = ?",
                        now(),
                        t.id())));
  }

  private void notify(String label, Collection<String> users, Notification n) {
    List<String> to = List.copyOf(users);
    AfterResponse.run(label, () -> to.forEach(u -> notifications.send(u, n)));
  }

  private void broadcast(String label, Notification n) {
    AfterResponse.run(label, () -> notifications.broadcast(n));
  }

  private void statusChanged(List<Change> changes) {
    AfterResponse.run(
        "notify-task-status-changed",
        () -> {
          for (Change ch : changes) {
            Notification n =
                new Notification(
                    "taskStatusChanged",
                    Json.object(
                        "taskId",
                        ch.after().id(),
                        "from",
                        ch.before().status(),
                        "to",
                        ch.after().status()));
            ch.parties().forEach(u -> notifications.send(u, n));
          }
        });
  }

  private void statusChanged(Change ch) {
    statusChanged(List.of(ch));
  }

  private void removed(List<Change> changes) {
    AfterResponse.run(
        "notify-task-removed",
        () -> changes.forEach(ch -> notifications.broadcast(removed(ch.after().id()))));
  }

  private void updated(Change ch) {
    notify("notify-task-updated", ch.parties(), new Notification("taskUpdated", ch.after().json()));
  }

  /** Tells every active admin to reload their dashboard; the admins are read when it runs. */
  private void adminStatsRefresh(String why) {
    AfterResponse.run(
        "notify-admin-stats-refresh",
        () -> {
          List<String> admins =
              db.read(
                  c ->
                      query(
                          c,
                          "SELECT id FROM market_users WHERE role = 'admin' AND status = 'active'",
                          rs -> rs.getString(1)));
          Notification n = new Notification("adminStatsRefresh", Json.object("reason", why));
          admins.forEach(a -> notifications.send(a, n));
        });
  }

  /** One insert, no read before it (000's "Admin logs / analytics"). */
  private void adminLog(User admin, String action, String type, String target, String details) {
    long at = now();
    AfterResponse.run(
        "admin-log",
        () ->
            db.inTransaction(
                c ->
                    update(
                        c,
                        "INSERT INTO market_admin_logs (admin_id, action, target_type, target_id,"
                            + " details, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                        admin.id(),
                        action,
                        type,
                        target,
                        details,
                        at)));
  }

  private static Notification removed(long id) {
    return new Notification("taskRemoved", Json.object("taskId", id));
  }

  private static Notification cancelled(long id, String by, String reason, boolean reopened) {
    return new Notification(
        "taskCancelled",
        Json.object("taskId", id, "by", by, "reason", reason, "reopened", reopened));
  }

  // ------------------------------------------------------------------ rows and rules

  /**
   * Moves {@code t} from one of {@code from} to {@code to} with a conditional update, so of two
   * racing requests one wins and the other gets the 409.
   *
   * @param set more assignments, a constant of this class ({@code ", worker_id = ?"}), never data
   */
  private Change move(
      Connection c,
      Task t,
      String action,
      Set<String> from,
      String to,
      String set,
      Object... params)
      throws SQLException {
    if (!from.contains(t.status())) {
      throw illegal(t, action, from);
    }
    List<Object> all = new ArrayList<>();
    all.add(to);
    all.add(now());
    all.addAll(Arrays.asList(params));
    all.add(t.id());
    all.add(t.status());
    if (update(
            c,
            "UPDATE market_tasks SET status = ?, updated_at = ?"
                + set
                + " WHERE id = ? AND status = ?",
            all.toArray())
        == 0) {
      throw illegal(taskRow(c, t.id()).orElseThrow(), action, from);
    }
    return new Change(t, taskRow(c, t.id()).orElseThrow());
  }

  private static ApiError illegal(Task t, String action, Set<String> from) {
    return conflict(
        "task "
            + t.id()
            + " is "
            + t.status()
            + "; "
            + action
            + " needs a task that is "
            + String.join(" or ", new TreeSet<>(from)));
  }

  private static ApiError conflict(String message) {
    return new ApiError(409, "Conflict", message);
  }

  private static void requirePoster(Task t, User me, String action) {
    if (!t.posterId().equals(me.id())) {
      throw ApiError.forbidden(
          "only the poster of task " + t.id() + " (" + t.posterId() + ") may " + action + " it");
    }
  }

  /** The task, or 404 if it does not exist, was deleted, or is hidden from {@code me}. */
  private static Task load(Connection c, long id, User me) throws SQLException {
    Task t = taskRow(c, id).orElse(null);
    visible(t, id, me);
    return t;
  }

  private static void visible(Task t, long id, User me) {
    if (t == null
        || t.status().equals(DELETED)
        || (t.hidden() && !me.admin() && !t.parties().contains(me.id()))) {
      throw ApiError.notFound("task " + id + " not found");
    }
  }

  private Task insertTask(
      Connection c, String poster, String title, String description, long budget, Long from)
      throws SQLException {
    long now = now();
    long id =
        insert(
                c,
                "INSERT INTO market_tasks (poster_id, title, description, budget, status, hidden,"
                    + " duplicated_from, created_at, updated_at) VALUES (?, ?, ?, ?, 'open', 0, ?, ?, ?)"
                    + " RETURNING id",
                poster,
                title,
                description,
                budget,
                from,
                now,
                now)
            .orElseThrow();
    return taskRow(c, id).orElseThrow();
  }

  private static final String TASK_COLUMNS =
      "SELECT id, poster_id, worker_id, title, description, budget, status, hidden, cancel_reason,"
          + " duplicated_from, created_at, updated_at, last_alerted_at FROM market_tasks ";

  static Optional<Task> taskRow(Connection c, long id) throws SQLException {
    return queryOne(c, TASK_COLUMNS + "WHERE id = ?", MarketplaceApp::taskOf, id);
  }

  private static List<Map<String, Object>> tasks(Connection c, String where, Object... params)
      throws SQLException {
    return query(c, TASK_COLUMNS + where, rs -> taskOf(rs).json(), params);
  }

  private static Task taskOf(ResultSet rs) throws SQLException {
    long from = rs.getLong(10);
    Long duplicatedFrom = rs.wasNull() ? null : from;
    long alerted = rs.getLong(13);
    Instant lastAlertedAt = rs.wasNull() ? null : Instant.ofEpochMilli(alerted);
    return new Task(
        rs.getLong(1),
        rs.getString(2),
        rs.getString(3),
        rs.getString(4),
        rs.getString(5),
        rs.getLong(6),
        rs.getString(7),
        rs.getInt(8) == 1,
        rs.getString(9),
        duplicatedFrom,
        Instant.ofEpochMilli(rs.getLong(11)),
        Instant.ofEpochMilli(rs.getLong(12)),
        lastAlertedAt);
  }

  private static Optional<User> user(Connection c, String id) throws SQLException {
    return queryOne(
        c,
        "SELECT id, role, status, cancellations FROM market_users WHERE id = ?",
        MarketplaceApp::userOf,
        id);
  }

  private static User userOf(ResultSet rs) throws SQLException {
    return new User(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4));
  }

  private static Map<String, Object> counts(Connection c, String sql) throws SQLException {
    Map<String, Object> m = new LinkedHashMap<>();
    for (Object[] row : query(c, sql, rs -> new Object[] {rs.getString(1), rs.getLong(2)})) {
      m.put((String) row[0], row[1]);
    }
    return m;
  }

  private static String title(String t) {
    if (t == null || t.isBlank() || t.trim().length() > 120) {
      throw ApiError.badRequest("title is required, 1-120 characters");
    }
    return t.trim();
  }

  private static String description(String d) {
    if (d == null) {
      return "";
    }
    if (d.length() > 5000) {
      throw ApiError.badRequest("description is at most 5000 characters, got " + d.length());
    }
    return d.trim();
  }

  private static long budget(Long b) {
    if (b == null || b < 1 || b > 1_000_000) {
      throw ApiError.badRequest("budget is required, a whole amount from 1 to 1000000, got " + b);
    }
    return b;
  }

  private String reason(Context ctx) {
    if (ctx.body().isBlank()) {
      return null;
    }
    String r = ApiError.body(ctx, mapper, Reason.class).reason();
    if (r != null && r.length() > 500) {
      throw ApiError.badRequest("reason is at most 500 characters, got " + r.length());
    }
    return r == null || r.isBlank() ? null : r.trim();
  }

  private List<Long> ids(Context ctx) {
    List<Long> ids = ApiError.body(ctx, mapper, TaskIds.class).taskIds();
    if (ids == null || ids.isEmpty() || ids.size() > MAX_BULK) {
      throw ApiError.badRequest(
          "taskIds is required: a list of 1 to " + MAX_BULK + " task ids, got " + ids);
    }
    if (ids.stream().anyMatch(i -> i == null || i < 1)) {
      throw ApiError.badRequest("taskIds must be positive task ids, got " + ids);
    }
    return List.copyOf(new LinkedHashSet<>(ids));
  }

  private static long id(Context ctx) {
    String id = ctx.pathParam("id");
    if (!id.matches("\\d{1,18}")) {
      throw ApiError.notFound("task " + id + " not found: task ids are numbers");
    }
    return Long.parseLong(id);
  }

  static String taskKey(long id) {
    return "task:" + id;
  }

  static String userKey(String userId) {
    return "tasks:user:" + userId;
  }

  private long now() {
    return config.clock().millis();
  }

  // ------------------------------------------------------------------ accessors

  /**
   * {@code http://host:port} of the app's own server.
   *
   * @throws IllegalStateException for an app made with {@link #create}
   */
  public String baseUrl() {
    return ExampleServer.baseUrl(server, config.host());
  }

  /** The Errand engine beside the lane; its meter registry holds the lane's meters. */
  public Errand errand() {
    return errand;
  }

  /** The app's database (its tables and Errand's). */
  public ExampleDatabase database() {
    return db;
  }

  /** The cache as configured (wrapped by {@link MarketplaceConfig#wrapCache}). */
  public TaskCache cache() {
    return cache;
  }

  /** The SSE streams behind {@code GET /events}. */
  public NotificationStream streams() {
    return streams;
  }

  /**
   * Stops in order: ends the event streams (they hold requests open), stops the server (in-flight
   * requests hand over their tasks), drains the lane within its grace (tasks still write to the
   * database), then Errand and the database.
   */
  @Override
  public void close() {
    streams.close();
    if (server != null) {
      server.stop();
    }
    lane.shutdown();
    errand.close();
    db.close();
  }

  /**
   * Runs the marketplace alone, configured by the environment ({@link MarketplaceConfig#fromEnv}):
   * port 7000 and {@code data/marketplace.db} by default.
   */
  public static void main(String[] args) throws InterruptedException {
    MarketplaceApp app = start(MarketplaceConfig.fromEnv(System.getenv()));
    Runtime.getRuntime().addShutdownHook(new Thread(app::close, "marketplace-stop"));
    Thread.currentThread().join();
  }
}
