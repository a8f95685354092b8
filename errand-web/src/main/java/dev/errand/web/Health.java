package dev.errand.web;

import dev.errand.Errand;
import dev.errand.Node;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Liveness and readiness. Live: the process answers HTTP. Ready: the engine is not stopping, the
 * store answers a query, and at least one node (this one, if it serves queues) heartbeats within
 * {@link WebConfig#nodeStaleAfter()}. The failure rate over the stats window is reported, and
 * marked {@code WARN} above {@link WebConfig#failureRateWarning()}, but never makes the node
 * unready: taking a node out of a load balancer does not make failing jobs succeed.
 */
final class Health {
  private static final Logger log = LoggerFactory.getLogger(Health.class);

  /** Readiness recomputes the failure rate at most this often (load balancers poll often). */
  private static final long RATE_CACHE_NANOS = Duration.ofSeconds(10).toNanos();

  private final Errand errand;
  private final WebConfig config;
  private final Stats stats;
  private final Object rateLock = new Object();
  private Map<String, Object> cachedRate;
  private long cachedAt;

  Health(Errand errand, WebConfig config, Stats stats) {
    this.errand = errand;
    this.config = config;
    this.stats = stats;
  }

  Reply live() {
    return Reply.ok(Map.of("status", "UP"));
  }

  Reply ready() {
    Map<String, Object> checks = new LinkedHashMap<>();
    boolean up = true;
    Errand.Lifecycle lifecycle = errand.lifecycle();
    boolean engineUp = lifecycle == Errand.Lifecycle.RUNNING || lifecycle == Errand.Lifecycle.NEW;
    checks.put("engine", check(engineUp, "lifecycle " + lifecycle));
    up &= engineUp;
    List<Node> nodes = null;
    Instant now = null;
    try {
      long t0 = System.nanoTime();
      nodes = errand.nodes();
      now = errand.store().now();
      Map<String, Object> c = check(true, "store answered");
      c.put("latencyMs", (System.nanoTime() - t0) / 1_000_000);
      checks.put("store", c);
    } catch (RuntimeException e) {
      log.warn("errand-web: health check could not reach the store", e);
      checks.put(
          "store",
          check(
              false, "store unreachable: " + e.getClass().getSimpleName() + ": " + e.getMessage()));
      up = false;
    }
    if (nodes != null) {
      Instant at = now;
      long stale = config.nodeStaleAfter().toMillis();
      long fresh = nodes.stream().filter(n -> age(n, at) <= stale).count();
      Node self =
          nodes.stream().filter(n -> n.id().equals(errand.nodeId())).findFirst().orElse(null);
      boolean selfOk =
          lifecycle != Errand.Lifecycle.RUNNING || (self != null && age(self, at) <= stale);
      boolean workersUp = fresh > 0 && selfOk;
      Map<String, Object> c =
          check(
              workersUp,
              fresh
                  + " of "
                  + nodes.size()
                  + " nodes heartbeating within "
                  + config.nodeStaleAfter()
                  + (selfOk ? "" : "; this node (" + errand.nodeId() + ") is not"));
      c.put("nodes", nodes.size());
      c.put("heartbeating", fresh);
      checks.put("workers", c);
      up &= workersUp;
      checks.put("failureRate", failureRate());
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", up ? "UP" : "DOWN");
    body.put("checks", checks);
    return new Reply(up ? 200 : 503, body);
  }

  private Map<String, Object> failureRate() {
    synchronized (rateLock) {
      long t = System.nanoTime();
      if (cachedRate == null || t - cachedAt > RATE_CACHE_NANOS) {
        try {
          Map<String, Object> w = stats.window(config.statsWindow(), errand.store().now());
          Double rate = (Double) w.get("errorRate");
          boolean high = rate != null && rate > config.failureRateWarning();
          Map<String, Object> c = new LinkedHashMap<>();
          c.put("status", high ? "WARN" : "UP");
          c.put(
              "detail",
              rate == null
                  ? "no jobs finished in the last " + config.statsWindow()
                  : String.format(
                      java.util.Locale.ROOT,
                      "%.1f%% of %d jobs finished in the last %s failed"
                          + " (warning above %.1f%%)",
                      rate * 100,
                      (Long) w.get("finished"),
                      config.statsWindow(),
                      config.failureRateWarning() * 100));
          c.put("errorRate", rate);
          cachedRate = c;
          cachedAt = t;
        } catch (RuntimeException e) {
          return check(false, "could not compute: " + e.getMessage());
        }
      }
      return cachedRate;
    }
  }

  private static long age(Node n, Instant now) {
    return Duration.between(n.heartbeatAt(), now).toMillis();
  }

  private static Map<String, Object> check(boolean up, String detail) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("status", up ? "UP" : "DOWN");
    c.put("detail", detail);
    return c;
  }
}
