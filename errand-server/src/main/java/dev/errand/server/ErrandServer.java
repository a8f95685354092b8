package dev.errand.server;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.errand.Errand;
import dev.errand.JobType;
import dev.errand.jdbc.PostgresJobStore;
import dev.errand.jdbc.SqliteJobStore;
import dev.errand.server.alert.Alerter;
import dev.errand.server.alert.LogAlertSink;
import dev.errand.server.alert.WebhookAlertSink;
import dev.errand.server.config.ServerConfig;
import dev.errand.server.http.HttpCall;
import dev.errand.server.http.HttpJobs;
import dev.errand.spi.JobStore;
import dev.errand.web.ErrandWeb;
import dev.errand.web.Scope;
import dev.errand.web.WebConfig;
import io.javalin.config.JavalinConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Errand server's parts wired from one {@link ServerConfig}: the store (SQLite file, or
 * PostgreSQL through a HikariCP pool), the engine with the configured queues, retention and
 * maintenance, the built-in {@code http} job type, and the {@link Alerter} with its sinks.
 *
 * <p>Register further job types on {@link #errand()} before {@link #start()}. {@link #close()}
 * stops the engine (gracefully, within the shutdown grace), then the alerter (delivering what is
 * queued), then the pool; it is idempotent and safe from a shutdown hook.
 */
public final class ErrandServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ErrandServer.class);

  private final ServerConfig config;
  private final HikariDataSource pool;
  private final Errand errand;
  private final JobType<HttpCall> http;
  private final Alerter alerter;
  private final ErrandWeb web;
  private final AtomicBoolean closed = new AtomicBoolean();

  private ErrandServer(ServerConfig config, Clock clock) {
    this.config = config;
    ServerConfig.Store s = config.store();
    JobStore store;
    if (s.kind() == ServerConfig.StoreKind.POSTGRES) {
      HikariConfig h = new HikariConfig();
      h.setJdbcUrl(s.url());
      h.setUsername(s.user());
      h.setPassword(s.password());
      h.setMaximumPoolSize(s.poolSize());
      h.setPoolName("errand-pg");
      pool = new HikariDataSource(h);
      store = PostgresJobStore.create(pool);
    } else {
      pool = null;
      store = SqliteJobStore.builder(s.sqliteFile()).readConnections(s.poolSize()).build();
    }
    try {
      errand = engine(config, store, clock);
    } catch (RuntimeException e) {
      store.close();
      if (pool != null) {
        pool.close();
      }
      throw e;
    }
    ServerConfig.HttpJobs h = config.httpJobs();
    http =
        errand.register(
            HttpJobs.builder()
                .queue(h.queue())
                .allowedHosts(h.allowedHosts())
                .excerptLimit(h.excerptBytes())
                .maxRetryAfter(h.maxRetryAfter())
                .maxAttempts(config.retry().maxAttempts())
                .backoff(config.retry().backoff())
                .clock(clock)
                .build());
    alerter = alerter(errand, config.alerts(), clock);
    web = ErrandWeb.create(errand, webConfig(config, http));
  }

  /**
   * The HTTP API and dashboard: {@code ERRAND_HOST}/{@code ERRAND_PORT}, the configured keys, and
   * the {@code http} type enqueueable over HTTP (by an {@code enqueue} key, or from loopback when
   * no key is configured; {@code ERRAND_HTTP_ALLOWED_HOSTS} limits where such jobs may call).
   */
  private static WebConfig webConfig(ServerConfig config, JobType<HttpCall> http) {
    WebConfig.Builder w =
        WebConfig.builder().host(config.host()).port(config.port()).remoteEnqueue(http.name());
    for (ServerConfig.ApiKey k : config.apiKeys()) {
      w.apiKey(
          k.key(), k.scopes().stream().map(s -> Scope.valueOf(s.name())).toArray(Scope[]::new));
    }
    return w.build();
  }

  private static Errand engine(ServerConfig config, JobStore store, Clock clock) {
    ServerConfig.Workers w = config.workers();
    Errand.Builder b =
        Errand.builder()
            .store(store)
            .clock(clock)
            .meterRegistry(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)) // for /metrics
            .shutdownGrace(config.shutdownGrace())
            .lease(w.lease())
            .rescueInterval(w.rescueInterval())
            .pollInterval(w.pollInterval())
            .claimBatch(w.claimBatch())
            .completionBatch(w.completionBatch())
            .claimCooldown(w.claimCooldown())
            .completionCooldown(w.completionCooldown())
            .retention(config.retention().succeeded(), config.retention().failed())
            .maintenance("errand.prune", config.maintenance().prune())
            .maintenance("errand.orphans", config.maintenance().orphans());
    config.queues().forEach(b::queue);
    return b.build();
  }

  private static Alerter alerter(Errand errand, ServerConfig.Alerts a, Clock clock) {
    if (!a.log() && a.webhookUrl() == null) {
      return null;
    }
    Alerter.Builder b =
        Alerter.builder(errand)
            .clock(clock)
            .deadLetters(a.deadLetters())
            .failureRate(a.failureRate())
            .window(a.window())
            .minAttempts(a.minAttempts())
            .nodeStaleAfter(a.nodeStaleAfter())
            .coolDown(a.coolDown())
            .checkInterval(a.checkInterval());
    if (a.log()) {
      b.sink(new LogAlertSink());
    }
    if (a.webhookUrl() != null) {
      b.sink(WebhookAlertSink.to(a.webhookUrl()));
    }
    return b.build();
  }

  /** The server's parts, built but not started, on the system clock. */
  public static ErrandServer create(ServerConfig config) {
    return new ErrandServer(config, Clock.systemUTC());
  }

  /**
   * Like {@link #create(ServerConfig)} with an injected clock (engine, http Retry-After, alerts).
   */
  public static ErrandServer create(ServerConfig config, Clock clock) {
    return new ErrandServer(config, clock);
  }

  /** Starts the alerter and the engine's workers; logs the effective configuration once. */
  public ErrandServer start() {
    return start(cfg -> {});
  }

  /**
   * Like {@link #start()}, with {@code more} adding routes of the embedding program to the HTTP
   * server after the API's and the dashboard's (the demo's page of example apps, say).
   */
  public ErrandServer start(Consumer<JavalinConfig> more) {
    log.info("errand server: {}", config.describe());
    if (alerter != null) {
      alerter.start(); // subscribed before the workers start, so no dead letter goes unseen
    } else {
      log.info(
          "errand server: alerts are off (ERRAND_ALERT_LOG=false and no ERRAND_ALERT_WEBHOOK_URL)");
    }
    errand.start();
    web.start(more);
    return this;
  }

  /** The HTTP API and dashboard (started by {@link #start()}). */
  public ErrandWeb web() {
    return web;
  }

  /** Where the dashboard answers, e.g. {@code http://127.0.0.1:7070/dashboard}. */
  public String dashboardUrl() {
    String host =
        config.host().equals("0.0.0.0") || config.host().equals("::") ? "127.0.0.1" : config.host();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + web.port() + web.config().pathPrefix() + "/dashboard";
  }

  /** The engine; register job types here before {@link #start()}. */
  public Errand errand() {
    return errand;
  }

  /** The built-in {@code http} job type, registered. */
  public JobType<HttpCall> http() {
    return http;
  }

  /** The configuration this server was built from. */
  public ServerConfig config() {
    return config;
  }

  /** Stops the engine (graceful first), the alerter and the connection pool. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    web.close(); // no new requests; then the engine
    errand.close(); // jobs finishing within the grace may still dead-letter and alert
    if (alerter != null) {
      alerter.close();
    }
    if (pool != null) {
      pool.close();
    }
  }
}
