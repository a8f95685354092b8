package dev.errand.web;

import dev.errand.Errand;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Errand's HTTP management API: jobs, schedules, queues, nodes and statistics as JSON, job events
 * as Server-Sent Events, {@code /health} and Prometheus {@code /metrics}. See {@code
 * docs/http-api.md} for every endpoint.
 *
 * <p>Run it on its own server, or mount it into an application's Javalin:
 *
 * <pre>{@code
 * ErrandWeb web = ErrandWeb.create(errand, WebConfig.builder().port(7070)
 *     .apiKey(System.getenv("ERRAND_ADMIN_KEY"), Scope.ADMIN).remoteEnqueue("send-email").build())
 *     .start();
 * // or, inside an app: Javalin.create(cfg -> web.mount(cfg))  (routes under WebConfig.pathPrefix)
 * }</pre>
 *
 * <p>Guarantees: without API keys only loopback clients are served; with keys every request needs
 * one (compared in constant time) with the right {@link Scope}; only types listed in {@link
 * WebConfig.Builder#remoteEnqueue} can be enqueued; bodies are size-limited; every error is {@code
 * {"error":{"code","message"}}}, and a 500 ({@code internal_error}) means a server fault, never bad
 * input. Thread-safe. The caller owns the engine: {@link #close()} does not close it.
 */
public final class ErrandWeb implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ErrandWeb.class);
  private static final String REPLIED = "errand.replied";

  private final Errand errand;
  private final WebConfig config;
  private final Guard guard;
  private final Json json;
  private final Api api;
  private final Stats stats;
  private final Health health;
  private final EventStream events;
  private final AutoCloseable subscription;
  private final PrometheusMeterRegistry prometheus;
  private final AtomicLong internalErrors = new AtomicLong();
  private final Object lifecycleLock = new Object();
  private Javalin server;
  private boolean closed;

  private ErrandWeb(Errand errand, WebConfig config) {
    this.errand = errand;
    this.config = config;
    this.guard = new Guard(config);
    this.json = new Json(config.redactedFields());
    this.api = new Api(errand, config, json);
    this.stats = new Stats(errand, config);
    this.health = new Health(errand, config, stats);
    this.events = new EventStream(config);
    this.prometheus = prometheus(errand.meterRegistry());
    this.subscription = errand.subscribeCluster(events);
  }

  /**
   * An API over {@code errand}; nothing listens until {@link #start()} or {@link #mount}. Starts
   * collecting job events for the event streams at once.
   */
  public static ErrandWeb create(Errand errand, WebConfig config) {
    Objects.requireNonNull(errand, "errand");
    Objects.requireNonNull(config, "config");
    ErrandWeb web = new ErrandWeb(errand, config);
    log.info("errand-web: {}", config);
    if (!config.hasApiKeys()) {
      log.info("errand-web: no API key configured: serving loopback clients only");
    }
    if (web.prometheus == null && config.metrics()) {
      log.warn(
          "errand-web: /metrics is unavailable: the engine's meter registry ({}) is not a"
              + " PrometheusMeterRegistry or a CompositeMeterRegistry; build the engine with"
              + " .meterRegistry(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))",
          errand.meterRegistry().getClass().getSimpleName());
    }
    return web;
  }

  /**
   * Starts a server of its own on {@link WebConfig#host()}:{@link WebConfig#port()} with every
   * route and JSON answers for unknown routes.
   *
   * @throws IllegalStateException if already started or closed
   */
  public ErrandWeb start() {
    return start(cfg -> {});
  }

  /**
   * Like {@link #start()}, with {@code more} registering an application's own routes (or other
   * mounts) on the same server after Errand's: a demo page next to the dashboard, say. Unknown
   * routes still answer JSON.
   *
   * @throws IllegalStateException if already started or closed
   */
  public ErrandWeb start(java.util.function.Consumer<JavalinConfig> more) {
    Objects.requireNonNull(more, "more");
    synchronized (lifecycleLock) {
      if (server != null || closed) {
        throw new IllegalStateException(
            "start() needs a new ErrandWeb; this one is "
                + (closed ? "closed" : "already started on port " + server.port()));
      }
      QueuedThreadPool pool = new QueuedThreadPool(config.sseMaxClients() + 64, 4, 60_000);
      pool.setName("errand-web");
      server =
          Javalin.create(
                  cfg -> {
                    cfg.startup.showJavalinBanner = false;
                    cfg.jetty.host = config.host();
                    cfg.jetty.port = config.port();
                    cfg.jetty.threadPool = pool;
                    cfg.http.maxRequestSize = config.maxBodyBytes();
                    cfg.http.prefer405over404 = true;
                    cfg.jetty.modifyServer(s -> s.setErrorHandler(new JsonErrorHandler()));
                    mount(cfg);
                    more.accept(cfg);
                    cfg.routes.error(
                        404,
                        ctx ->
                            unrouted(
                                ctx,
                                404,
                                "route_not_found",
                                "no endpoint at "
                                    + ctx.req().getMethod()
                                    + " "
                                    + Fields.clip(ctx.path())
                                    + "; see docs/http-api.md"));
                    cfg.routes.error(
                        405,
                        ctx ->
                            unrouted(
                                ctx,
                                405,
                                "method_not_allowed",
                                ctx.req().getMethod()
                                    + " is not allowed on "
                                    + Fields.clip(ctx.path())
                                    + "; see docs/http-api.md"));
                    cfg.routes.exception(Exception.class, (e, ctx) -> internal(ctx, e));
                  })
              .start();
      log.info(
          "errand-web: listening on http://{}:{}{}",
          config.host(),
          server.port(),
          config.pathPrefix());
      return this;
    }
  }

  /**
   * Registers every route (under {@link WebConfig#pathPrefix()}) into an application's Javalin
   * configuration. Only Errand's routes are added: the application's error handlers, body limit and
   * other routes are left alone, and every Errand route answers its own errors.
   */
  public void mount(JavalinConfig cfg) {
    Objects.requireNonNull(cfg, "cfg");
    RoutesConfig r = cfg.routes;
    String p = config.pathPrefix();
    get(r, p + "/api/jobs", endpoint(Scope.READ, api::listJobs));
    r.post(p + "/api/jobs", endpoint(Scope.ENQUEUE, api::enqueue));
    r.post(p + "/api/jobs/batch", endpoint(Scope.ENQUEUE, api::enqueueBatch));
    r.post(p + "/api/jobs/bulk-retry", endpoint(Scope.ADMIN, ctx -> api.bulk(ctx, true)));
    r.post(p + "/api/jobs/bulk-delete", endpoint(Scope.ADMIN, ctx -> api.bulk(ctx, false)));
    get(r, p + "/api/jobs/{id}", endpoint(Scope.READ, api::getJob));
    r.delete(p + "/api/jobs/{id}", endpoint(Scope.ADMIN, ctx -> api.act(ctx, Api.Action.DELETE)));
    r.post(
        p + "/api/jobs/{id}/retry", endpoint(Scope.ADMIN, ctx -> api.act(ctx, Api.Action.RETRY)));
    r.post(
        p + "/api/jobs/{id}/cancel", endpoint(Scope.ADMIN, ctx -> api.act(ctx, Api.Action.CANCEL)));
    get(
        r,
        p + "/api/jobs/{id}/events",
        stream(true),
        endpoint(Scope.READ, ctx -> Reply.ok(Map.of())));
    get(r, p + "/api/events", stream(false), endpoint(Scope.READ, ctx -> Reply.ok(Map.of())));
    get(r, p + "/api/schedules", endpoint(Scope.READ, api::listSchedules));
    r.post(p + "/api/schedules", endpoint(Scope.ADMIN, api::defineSchedule));
    r.post(p + "/api/schedules/validate", endpoint(Scope.READ, api::validateSchedule));
    get(r, p + "/api/schedules/{name}", endpoint(Scope.READ, api::getSchedule));
    r.delete(p + "/api/schedules/{name}", endpoint(Scope.ADMIN, api::deleteSchedule));
    r.post(
        p + "/api/schedules/{name}/pause",
        endpoint(Scope.ADMIN, ctx -> api.pauseSchedule(ctx, true)));
    r.post(
        p + "/api/schedules/{name}/resume",
        endpoint(Scope.ADMIN, ctx -> api.pauseSchedule(ctx, false)));
    r.post(p + "/api/schedules/{name}/trigger", endpoint(Scope.ADMIN, api::triggerSchedule));
    get(r, p + "/api/queues", endpoint(Scope.READ, api::queues));
    r.post(p + "/api/queues/{name}/pause", endpoint(Scope.ADMIN, ctx -> api.pauseQueue(ctx, true)));
    r.post(
        p + "/api/queues/{name}/resume", endpoint(Scope.ADMIN, ctx -> api.pauseQueue(ctx, false)));
    get(r, p + "/api/nodes", endpoint(Scope.READ, api::nodes));
    get(r, p + "/api/stats", endpoint(Scope.READ, ctx -> api.stats(ctx, stats)));
    get(r, p + "/api/stats/series", endpoint(Scope.READ, ctx -> api.statsSeries(ctx, stats)));
    for (String path : new String[] {"/health", "/health/ready", "/health/live"}) {
      boolean live = path.endsWith("/live");
      get(
          r,
          p + path,
          endpoint(
              Scope.READ,
              config.openHealth(),
              ctx -> {
                Request.onlyParams(ctx, Set.of());
                return live ? health.live() : health.ready();
              }));
    }
    if (config.metrics()) {
      get(r, p + "/metrics", metrics());
    }
    Dashboard.mount(r, config, guard);
  }

  /** Registers {@code handler} for GET and HEAD (the guard runs for both; HEAD sends no body). */
  private static void get(RoutesConfig r, String path, Handler handler) {
    get(r, path, handler, handler);
  }

  private static void get(RoutesConfig r, String path, Handler handler, Handler head) {
    r.get(path, handler);
    r.addEndpoint(new io.javalin.router.Endpoint(HandlerType.HEAD, path, head, Set.of()));
  }

  /** The port the server of its own listens on. */
  public int port() {
    synchronized (lifecycleLock) {
      if (server == null) {
        throw new IllegalStateException(
            "not started: call start() first (or use the port of the"
                + " application this is mounted in)");
      }
      return server.port();
    }
  }

  /** The configuration. */
  public WebConfig config() {
    return config;
  }

  /**
   * Ends every event stream, stops listening for engine events and stops the server of its own if
   * started. Does not close the engine. Idempotent.
   */
  @Override
  public void close() {
    synchronized (lifecycleLock) {
      if (closed) {
        return;
      }
      closed = true;
      events.close();
      try {
        subscription.close();
      } catch (Exception e) {
        log.warn("errand-web: unsubscribing from job events failed", e);
      }
      if (server != null) {
        server.stop();
      }
    }
  }

  /** Unexpected failures answered with a 500 so far; tests assert that bad input never adds one. */
  long internalErrors() {
    return internalErrors.get();
  }

  /** Event streams open now. */
  int openStreams() {
    return events.clientCount();
  }

  // ------------------------------------------------------------------------------ plumbing

  @FunctionalInterface
  interface Action {
    Reply handle(Context ctx) throws Exception;
  }

  private Handler endpoint(Scope scope, Action e) {
    return endpoint(scope, false, e);
  }

  private Handler endpoint(Scope scope, boolean open, Action e) {
    return ctx -> {
      try {
        guard.check(ctx, scope, open);
        Reply r = e.handle(ctx);
        send(ctx, r.status(), r.body());
      } catch (ApiException x) {
        refuse(ctx, x);
      } catch (Exception | LinkageError x) {
        internal(ctx, x);
      }
    };
  }

  private Handler stream(boolean oneJob) {
    return ctx -> {
      try {
        guard.check(ctx, Scope.READ, false);
        Request.onlyParams(ctx, Set.of("lastEventId"));
        Long jobId = null;
        Map<String, Object> first = null;
        if (oneJob) {
          jobId = Request.jobId(ctx);
          long id = jobId;
          var job =
              errand
                  .job(id)
                  .orElseThrow(() -> ApiException.notFound("job " + id + " does not exist"));
          first = new java.util.LinkedHashMap<>();
          first.put("jobId", job.id());
          first.put("state", job.effectiveState(errand.clock().instant()).name());
          first.put("attempt", job.attempt());
          first.put("progress", job.progress());
          first.put("lastError", job.lastError());
          first.put("finishedAt", job.finishedAt());
        }
        String last = ctx.header("Last-Event-ID");
        if (last == null) {
          last = Request.param(ctx, "lastEventId");
        }
        EventStream.validateLastEventId(last);
        HttpServletResponse res = ctx.res();
        res.setStatus(200);
        res.setContentType("text/event-stream");
        res.setCharacterEncoding("UTF-8");
        res.setHeader("Cache-Control", "no-store");
        res.setHeader("X-Accel-Buffering", "no");
        ctx.attribute(REPLIED, true);
        events.serve(res.getOutputStream(), jobId, last, first);
      } catch (ApiException x) {
        if (!ctx.res().isCommitted()) {
          ctx.res().reset();
          refuse(ctx, x);
        }
      } catch (IOException gone) {
        log.debug("errand-web: event stream closed by the client: {}", gone.toString());
      } catch (InterruptedException stop) {
        Thread.currentThread().interrupt();
      } catch (Exception | LinkageError x) {
        if (!ctx.res().isCommitted()) {
          internal(ctx, x);
        } else {
          internalErrors.incrementAndGet();
          log.error("errand-web: event stream failed", x);
        }
      }
    };
  }

  private Handler metrics() {
    return ctx -> {
      try {
        guard.check(ctx, Scope.READ, false);
        Request.onlyParams(ctx, Set.of());
        if (prometheus == null) {
          throw new ApiException(
              404,
              "metrics_unavailable",
              "the engine's meter registry is not a"
                  + " Prometheus one; build the engine with .meterRegistry(new"
                  + " PrometheusMeterRegistry(PrometheusConfig.DEFAULT)) or a CompositeMeterRegistry");
        }
        String text = prometheus.scrape();
        ctx.attribute(REPLIED, true);
        ctx.status(200)
            .contentType("text/plain; version=0.0.4; charset=utf-8")
            .result(text.getBytes(StandardCharsets.UTF_8));
      } catch (ApiException x) {
        refuse(ctx, x);
      } catch (Exception | LinkageError x) {
        internal(ctx, x);
      }
    };
  }

  private static PrometheusMeterRegistry prometheus(MeterRegistry registry) {
    if (registry instanceof PrometheusMeterRegistry p) {
      return p;
    }
    if (registry instanceof CompositeMeterRegistry c) {
      for (MeterRegistry child : c.getRegistries()) {
        if (child instanceof PrometheusMeterRegistry p) {
          return p;
        }
      }
      PrometheusMeterRegistry p = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      c.add(p);
      return p;
    }
    return null;
  }

  private static void send(Context ctx, int status, Object body) {
    ctx.attribute(REPLIED, true);
    ctx.status(status)
        .header("Cache-Control", "no-store")
        .header("X-Content-Type-Options", "nosniff")
        .contentType("application/json; charset=utf-8")
        .result(Json.write(body).getBytes(StandardCharsets.UTF_8));
  }

  private static void refuse(Context ctx, ApiException x) {
    send(ctx, x.status(), Json.error(x.code(), x.getMessage()));
  }

  private void internal(Context ctx, Throwable x) {
    internalErrors.incrementAndGet();
    log.error("errand-web: {} {} failed", ctx.req().getMethod(), ctx.path(), x);
    send(
        ctx,
        500,
        Json.error(
            "internal_error",
            "the server failed to answer this request; the error"
                + " is in its log ("
                + x.getClass().getSimpleName()
                + "). This is a fault in the server, not"
                + " in the request"));
  }

  private static void unrouted(Context ctx, int status, String code, String message) {
    if (ctx.attribute(REPLIED) == null) {
      send(ctx, status, Json.error(code, message));
    }
  }
}
