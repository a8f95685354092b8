package dev.errand.examples.kitchen;

import static dev.errand.examples.ExampleDatabase.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.errand.Enqueue;
import dev.errand.Errand;
import dev.errand.JobHandle;
import dev.errand.JobType;
import dev.errand.examples.Alerts;
import dev.errand.examples.ApiError;
import dev.errand.examples.Env;
import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.ExampleServer;
import dev.errand.examples.Json;
import dev.errand.examples.kitchen.KitchenJobs.Production;
import dev.errand.examples.kitchen.KitchenJobs.WriteOff;
import dev.errand.examples.kitchen.KitchenJobs.WriteOffItem;
import dev.errand.examples.kitchen.Stock.Item;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.router.JavalinDefaultRoutingApi;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kitchen production of seed 004 on Errand: the production and write-off dialogs of a browser page
 * close at once, because submitting only validates and enqueues a durable job ({@code 202} with the
 * task id); the job does the slow work (FIFO batch allocation, negative batches, operations, KPI
 * recording, balance recalculation) in one transaction, retries with backoff 2 s then 4 s, and the
 * page hears how it went through a live event stream and shows it in a snackbar.
 *
 * <p>Endpoints: {@code GET /} (the page), {@code GET /api/catalog}, {@code GET /api/stock}, {@code
 * GET /api/stock/{itemId}/batches}, {@code POST /api/stock/receipts}, {@code POST /api/production},
 * {@code POST /api/write-offs}, {@code GET /api/tasks}, {@code GET /api/tasks/{id}}, {@code POST
 * /api/tasks/{id}/retry}, {@code GET /api/events} (Server-Sent Events), {@code GET /api/kpi},
 * {@code GET /api/alerts}. See docs/examples.md.
 */
public final class KitchenApp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KitchenApp.class);
  static final List<String> DEPARTMENTS = List.of("kitchen", "bar");
  static final List<String> REASONS = List.of("expired", "spoiled", "damaged", "other");
  static final int MAX_LINES = 50;
  static final long MAX_QUANTITY = 1_000_000_000L;
  private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9_-]{1,100}");
  private static final String RESOURCES = "dev/errand/examples/kitchen/";
  private static final String CSP =
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
          + " img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  /** Body of {@code POST /api/production}. */
  record ProductionRequest(
      String preparationId,
      BigDecimal quantity,
      String department,
      String userId,
      String userName,
      String notes,
      String requestId) {}

  /** A line of {@code POST /api/write-offs}. */
  record WriteOffLine(String itemId, BigDecimal quantity) {}

  /** Body of {@code POST /api/write-offs}. */
  record WriteOffRequest(
      String kind,
      List<WriteOffLine> items,
      String department,
      String responsiblePerson,
      String reason,
      String notes,
      Boolean affectsKpi,
      String userId,
      String userName,
      String requestId) {}

  /** Body of {@code POST /api/stock/receipts}. */
  record Receipt(String productId, BigDecimal quantity, BigDecimal unitCost) {}

  private record Asset(String contentType, byte[] bytes) {}

  private final KitchenConfig config;
  private final ExampleDatabase db;
  private final ObjectMapper mapper = Errand.defaultMapper();
  private final Errand errand;
  private final KitchenJobs jobs;
  private final KitchenTasks tasks;
  private final TaskEvents events;
  private final Alerts alerts;
  private final AutoCloseable subscriptions;
  private final Map<String, Asset> assets;
  private volatile Javalin server;

  private KitchenApp(KitchenConfig config) {
    this.config = config;
    this.assets =
        Map.of(
            "/",
            asset("index.html", "text/html; charset=utf-8"),
            "/assets/kitchen.js",
            asset("kitchen.js", "text/javascript; charset=utf-8"),
            "/assets/kitchen.css",
            asset("kitchen.css", "text/css; charset=utf-8"));
    this.db = config.database().get();
    db.migrate(Stock.SCHEMA);
    db.inTransaction(
        c -> {
          Seed.apply(c, config.clock().instant());
          return null;
        });
    this.errand =
        Errand.builder()
            .store(db.jobStore())
            .queue(KitchenJobs.QUEUE, config.workers())
            .shutdownGrace(config.shutdownGrace())
            .build();
    this.jobs = new KitchenJobs(errand, config);
    this.tasks = new KitchenTasks(errand, db, mapper);
    this.events = new TaskEvents(errand, tasks, mapper, () -> db.read(Stock::items));
    this.alerts = new Alerts(db, config.clock(), 3, Duration.ofMinutes(10));
    AutoCloseable alertWatch = alerts.watch(errand);
    AutoCloseable eventWatch =
        errand.subscribeCluster(events); // the node that ran a task may be another one
    this.subscriptions =
        () -> {
          try (alertWatch;
              eventWatch) {
            // both closed, the event stream's first
          }
        };
  }

  /** Opens the database, starts the HTTP server and then the workers. */
  public static KitchenApp start(KitchenConfig config) {
    return ExampleServer.launch(
        new KitchenApp(config),
        app -> {
          app.server = ExampleServer.start(app.mapper, config.host(), config.port(), app::routes);
          app.begin();
        });
  }

  /** Opens the database and starts the workers without a server, for mounting {@link #routes}. */
  public static KitchenApp create(KitchenConfig config) {
    return ExampleServer.launch(new KitchenApp(config), KitchenApp::begin);
  }

  private void begin() {
    errand.start();
    log.info(
        "kitchen: {}; {} workers, {} attempts, backoff {}, work delay {}",
        server == null ? "mounted" : "listening on " + baseUrl(),
        config.workers(),
        config.maxAttempts(),
        config.backoff(),
        config.workDelay());
  }

  /** Adds the kitchen's page and API routes to a Javalin configuration. */
  public void routes(JavalinDefaultRoutingApi r) {
    ApiError.install(r);
    assets.forEach(
        (path, asset) ->
            r.get(
                path,
                ctx ->
                    ctx.header("Content-Security-Policy", CSP)
                        .header("Cache-Control", "no-cache")
                        .contentType(asset.contentType())
                        .result(asset.bytes())));
    r.get("/api/catalog", ctx -> ctx.json(db.read(KitchenApp::catalog)));
    r.get("/api/stock", ctx -> ctx.json(db.read(Stock::balances)));
    r.get("/api/stock/{itemId}/batches", this::batches);
    r.post("/api/stock/receipts", this::receive);
    r.post("/api/production", this::produce);
    r.post("/api/write-offs", this::writeOff);
    r.get("/api/tasks", ctx -> ctx.json(tasks.lists()));
    r.get("/api/tasks/{id}", ctx -> ctx.json(task(ctx)));
    r.post("/api/tasks/{id}/retry", this::retry);
    r.get("/api/events", this::stream);
    r.get("/api/kpi", ctx -> ctx.json(db.read(KitchenApp::kpi)));
    r.get("/api/alerts", ctx -> ctx.json(alerts.list()));
  }

  // ------------------------------------------------------------------ submitting tasks

  private void produce(Context ctx) {
    ProductionRequest in = ApiError.body(ctx, mapper, ProductionRequest.class);
    Map<String, Item> items = db.read(Stock::items);
    Item prep = items.get(in.preparationId());
    if (prep == null || !prep.isPreparation()) {
      throw ApiError.badRequest(
          "unknown preparation '"
              + in.preparationId()
              + "': preparationId must be one of "
              + ids(items, "preparation"));
    }
    long quantity = quantity("quantity", in.quantity(), prep);
    String userName = userName(in.userName());
    Production p =
        new Production(
            prep.id(),
            quantity,
            department(in.department(), prep),
            in.userId() == null || in.userId().isBlank() ? userName : in.userId().trim(),
            userName,
            notes(in.notes()));
    submit(ctx, jobs.production, p, in.requestId());
  }

  private void writeOff(Context ctx) {
    WriteOffRequest in = ApiError.body(ctx, mapper, WriteOffRequest.class);
    if (in.kind() == null || !List.of("product", "preparation").contains(in.kind())) {
      throw ApiError.badRequest(
          "kind must be 'product' or 'preparation' (what is written off), got " + in.kind());
    }
    if (in.items() == null || in.items().isEmpty() || in.items().size() > MAX_LINES) {
      throw ApiError.badRequest("items must list 1-" + MAX_LINES + " {itemId, quantity} lines");
    }
    if (in.reason() == null || !REASONS.contains(in.reason())) {
      throw ApiError.badRequest("reason must be one of " + REASONS + ", got " + in.reason());
    }
    Map<String, Item> items = db.read(Stock::items);
    List<WriteOffItem> lines = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    Item first = null;
    for (int i = 0; i < in.items().size(); i++) {
      WriteOffLine line = in.items().get(i);
      Item item = line == null ? null : items.get(line.itemId());
      if (item == null || !item.kind().equals(in.kind())) {
        throw ApiError.badRequest(
            "items["
                + i
                + "]: unknown "
                + in.kind()
                + " '"
                + (line == null ? null : line.itemId())
                + "': itemId must be one of "
                + ids(items, in.kind()));
      }
      if (!seen.add(item.id())) {
        throw ApiError.badRequest(
            "items[" + i + "]: " + item.id() + " is listed twice; give each item once");
      }
      lines.add(
          new WriteOffItem(
              item.id(), quantity("items[" + i + "].quantity", line.quantity(), item)));
      first = first == null ? item : first;
    }
    String userName = userName(in.userName());
    WriteOff w =
        new WriteOff(
            lines,
            department(in.department(), first),
            in.responsiblePerson() == null || in.responsiblePerson().isBlank()
                ? userName
                : in.responsiblePerson().trim(),
            in.reason(),
            notes(in.notes()),
            in.affectsKpi() == null || in.affectsKpi(),
            in.userId() == null || in.userId().isBlank() ? userName : in.userId().trim(),
            userName);
    submit(
        ctx,
        in.kind().equals("product") ? jobs.productWriteOff : jobs.preparationWriteOff,
        w,
        in.requestId());
  }

  /** Enqueues the task and answers 202 with it; the dialog closes on this answer. */
  private <T> void submit(Context ctx, JobType<T> type, T payload, String requestId) {
    Enqueue options = Enqueue.now();
    if (requestId != null) {
      if (!REQUEST_ID.matcher(requestId).matches()) {
        throw ApiError.badRequest(
            "requestId must be 1-100 letters, digits, '-' or '_', got '" + requestId + "'");
      }
      options = options.uniqueKey("kitchen-request:" + requestId);
    }
    JobHandle h = errand.enqueue(type, payload, options);
    ctx.status(202)
        .header("Location", "/api/tasks/" + h.id())
        .json(tasks.task(h.id()).orElseThrow());
  }

  private static long quantity(String field, BigDecimal q, Item item) {
    if (q == null) {
      throw ApiError.badRequest(
          field + " is required: how many " + item.unit() + " of " + item.name());
    }
    if (q.signum() <= 0) {
      throw ApiError.badRequest(
          field
              + " must be more than 0 "
              + item.unit()
              + " of "
              + item.name()
              + ", got "
              + q.toPlainString());
    }
    if (q.stripTrailingZeros().scale() > 0 || q.compareTo(BigDecimal.valueOf(MAX_QUANTITY)) > 0) {
      throw ApiError.badRequest(
          field
              + " must be a whole number of "
              + item.unit()
              + " up to "
              + MAX_QUANTITY
              + ", got "
              + q.toPlainString());
    }
    return q.longValueExact();
  }

  private static String userName(String name) {
    if (name == null || name.isBlank() || name.length() > 100) {
      throw ApiError.badRequest("userName is required (1-100 characters): who submits this task");
    }
    return name.trim();
  }

  private static String department(String d, Item item) {
    if (d == null) {
      return item.department();
    }
    if (!DEPARTMENTS.contains(d)) {
      throw ApiError.badRequest("department must be one of " + DEPARTMENTS + ", got " + d);
    }
    return d;
  }

  private static String notes(String notes) {
    if (notes != null && notes.length() > 1000) {
      throw ApiError.badRequest("notes may have at most 1000 characters, got " + notes.length());
    }
    return notes == null || notes.isBlank() ? null : notes.trim();
  }

  private static List<String> ids(Map<String, Item> items, String kind) {
    return items.values().stream().filter(i -> i.kind().equals(kind)).map(Item::id).toList();
  }

  // ------------------------------------------------------------------ tasks

  private Map<String, Object> task(Context ctx) {
    long id = id(ctx);
    return tasks.task(id).orElseThrow(() -> ApiError.notFound("task " + id + " does not exist"));
  }

  private void retry(Context ctx) {
    long id = id(ctx);
    Map<String, Object> t = task(ctx);
    if (!List.of("failed", "cancelled").contains(t.get("status"))) {
      throw new ApiError(
          409,
          "Conflict",
          "task "
              + id
              + " is "
              + t.get("status")
              + "; only failed or cancelled tasks can be retried");
    }
    try {
      errand.retry(id);
    } catch (IllegalStateException changed) { // it moved on since we looked
      throw new ApiError(409, "Conflict", changed.getMessage());
    }
    ctx.status(202).json(tasks.task(id).orElseThrow());
  }

  private void stream(Context ctx) throws IOException {
    HttpServletResponse res = ctx.res();
    res.setStatus(200);
    res.setContentType("text/event-stream");
    res.setCharacterEncoding("UTF-8");
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("X-Accel-Buffering", "no");
    try {
      events.serve(res.getOutputStream());
    } catch (IOException gone) {
      log.debug("kitchen: event stream closed by the client: {}", gone.toString());
    } catch (InterruptedException stop) {
      Thread.currentThread().interrupt();
    }
  }

  private static long id(Context ctx) {
    String id = ctx.pathParam("id");
    if (!id.matches("\\d{1,18}")) {
      throw ApiError.notFound("task " + id + " does not exist");
    }
    return Long.parseLong(id);
  }

  // ------------------------------------------------------------------ stock

  private void batches(Context ctx) {
    String itemId = ctx.pathParam("itemId");
    ctx.json(
        db.read(
            c -> {
              if (!Stock.items(c).containsKey(itemId)) {
                throw ApiError.notFound("item '" + itemId + "' does not exist");
              }
              return Stock.batches(c, itemId);
            }));
  }

  /** Receives a delivery of a product: a new batch, at once (no background work needed). */
  private void receive(Context ctx) {
    Receipt in = ApiError.body(ctx, mapper, Receipt.class);
    Instant now = config.clock().instant();
    Map<String, Object> batch =
        db.inTransaction(
            c -> {
              Map<String, Item> items = Stock.items(c);
              Item product = items.get(in.productId());
              if (product == null || product.isPreparation()) {
                throw ApiError.badRequest(
                    "unknown product '"
                        + in.productId()
                        + "': productId must be one of "
                        + ids(items, "product"));
              }
              long quantity = quantity("quantity", in.quantity(), product);
              if (in.unitCost() == null
                  || in.unitCost().signum() < 0
                  || in.unitCost().stripTrailingZeros().scale() > 0
                  || in.unitCost().compareTo(BigDecimal.valueOf(MAX_QUANTITY)) > 0) {
                throw ApiError.badRequest(
                    "unitCost is required: a whole, non-negative cost per "
                        + product.unit()
                        + " of "
                        + product.name()
                        + ", got "
                        + in.unitCost());
              }
              long id =
                  Stock.addBatch(
                      c,
                      product.id(),
                      quantity,
                      in.unitCost().longValueExact(),
                      "receipt",
                      null,
                      now);
              Stock.recalculateBalance(c, product.id(), now);
              return Json.object("id", id, "productId", product.id(), "quantity", quantity);
            });
    ctx.status(201).json(batch);
  }

  static Map<String, Object> catalog(Connection c) throws SQLException {
    Map<String, Item> items = Stock.items(c);
    List<Map<String, Object>> preparations = new ArrayList<>();
    List<Map<String, Object>> products = new ArrayList<>();
    for (Item i : items.values()) {
      if (i.isPreparation()) {
        List<Map<String, Object>> recipe = new ArrayList<>();
        for (Map.Entry<String, Long> r : Stock.recipe(c, i.id()).entrySet()) {
          Item p = items.get(r.getKey());
          recipe.add(
              Json.object(
                  "productId", p.id(), "name", p.name(), "unit", p.unit(), "amount", r.getValue()));
        }
        preparations.add(
            Json.object(
                "id",
                i.id(),
                "name",
                i.name(),
                "unit",
                i.unit(),
                "department",
                i.department(),
                "outputYield",
                i.outputYield(),
                "recipe",
                recipe));
      } else {
        products.add(
            Json.object(
                "id", i.id(), "name", i.name(), "unit", i.unit(), "department", i.department()));
      }
    }
    return Json.object(
        "preparations",
        preparations,
        "products",
        products,
        "departments",
        DEPARTMENTS,
        "reasons",
        REASONS);
  }

  static List<Map<String, Object>> kpi(Connection c) throws SQLException {
    return query(
        c,
        "SELECT job_id, kind, user_id, user_name, department, cost, affects_kpi, recorded_at"
            + " FROM kpi_entries ORDER BY id",
        rs ->
            Json.object(
                "jobId",
                rs.getLong(1),
                "kind",
                rs.getString(2),
                "userId",
                rs.getString(3),
                "userName",
                rs.getString(4),
                "department",
                rs.getString(5),
                "cost",
                rs.getLong(6),
                "affectsKpi",
                rs.getInt(7) == 1,
                "recordedAt",
                Instant.ofEpochMilli(rs.getLong(8)).toString()));
  }

  private static Asset asset(String name, String contentType) {
    try (InputStream in = KitchenApp.class.getClassLoader().getResourceAsStream(RESOURCES + name)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCES + name + " is missing from the classpath");
      }
      return new Asset(contentType, in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ------------------------------------------------------------------ accessors

  /** {@code http://host:port} of this app's own server. */
  public String baseUrl() {
    return ExampleServer.baseUrl(server, config.host());
  }

  /** The Errand engine that runs the tasks. */
  public Errand errand() {
    return errand;
  }

  /** The database holding the stock and the jobs. */
  public ExampleDatabase database() {
    return db;
  }

  /** Event streams open now. */
  public int eventStreams() {
    return events.clientCount();
  }

  /** Ends the event streams, then stops the server, the workers and the database. */
  @Override
  public void close() {
    events.close();
    ExampleServer.stop(server, subscriptions, errand, db);
  }

  /**
   * Runs the kitchen alone: {@code DATA_DIR} (default {@code data/kitchen}), {@code PORT} (7004),
   * {@code DATABASE_URL} (a jdbc:postgresql:// URL instead of the SQLite file), {@code
   * WORK_DELAY_MS} (1500).
   */
  public static void main(String[] args) throws InterruptedException {
    Env env = Env.of(System.getenv());
    KitchenConfig.Builder b =
        KitchenConfig.builder(Path.of(env.get("DATA_DIR").orElse("data/kitchen"))).port(7004);
    env.read("PORT", v -> b.port(Integer.parseInt(v)))
        .read("WORK_DELAY_MS", v -> b.workDelay(Duration.ofMillis(Long.parseLong(v))))
        .read("DATABASE_URL", v -> b.database(() -> ExampleDatabase.fromSetting(v)));
    KitchenApp app = start(b.build());
    Runtime.getRuntime().addShutdownHook(new Thread(app::close, "kitchen-stop"));
    Thread.currentThread().join();
  }
}
