package dev.errand.server.alert;

import dev.errand.Errand;
import dev.errand.JobEvent;
import dev.errand.JobEventListener;
import dev.errand.Node;
import io.micrometer.core.instrument.Counter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Raises alerts about one engine and hands them to its {@link AlertSink}s.
 *
 * <ul>
 *   <li><b>Dead letters</b>: a job dead-lettered to FAILED on this node raises {@link
 *       Alert.Kind#JOB_DEAD} at once.
 *   <li><b>Failure rate</b>: every {@link Builder#checkInterval}, a type whose share of failed
 *       attempts on this node over the last {@link Builder#window} is at or above {@link
 *       Builder#failureRate}, with at least {@link Builder#minAttempts} attempts, raises {@link
 *       Alert.Kind#FAILURE_RATE}.
 *   <li><b>Node health</b>: at the same check, a registered node (any node of the cluster) whose
 *       heartbeat is older than {@link Builder#nodeStaleAfter} raises {@link
 *       Alert.Kind#NODE_UNHEALTHY}.
 * </ul>
 *
 * <p>Deduplicated: one alert per key (kind + type or node) per {@link Builder#coolDown}; the next
 * one after the cool-down says how many were held back. Delivered through a bounded queue on one
 * daemon thread, {@code errand-alerts}: raising never blocks the engine's threads, and when the
 * queue is full the alert is dropped, counted and logged. A failed delivery is retried {@link
 * Builder#deliveryAttempts} times in all with doubling pauses, then logged as undelivered.
 *
 * <p>Lifecycle: {@link #start()} once, {@link #close()} (idempotent) delivers what is queued within
 * {@link Builder#closeGrace}, then stops. Thread-safe.
 */
public final class Alerter implements JobEventListener, AutoCloseable {
  /** At most one alert per key within this time. */
  public static final Duration DEFAULT_COOL_DOWN = Duration.ofMinutes(15);

  /** Share of failed attempts that raises a failure-rate alert. */
  public static final double DEFAULT_FAILURE_RATE = 0.5;

  /** Sliding window of the failure rate. */
  public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(5);

  /** Attempts a type needs in the window before its rate counts. */
  public static final int DEFAULT_MIN_ATTEMPTS = 20;

  /** Heartbeat age after which a node is unhealthy (its heartbeat comes every 10 s). */
  public static final Duration DEFAULT_NODE_STALE_AFTER = Duration.ofMinutes(1);

  /** How often failure rates and node health are checked. */
  public static final Duration DEFAULT_CHECK_INTERVAL = Duration.ofSeconds(30);

  /** Alerts waiting for delivery before new ones are dropped. */
  public static final int DEFAULT_QUEUE_CAPACITY = 1000;

  /** Tries per sink and alert, the first included. */
  public static final int DEFAULT_DELIVERY_ATTEMPTS = 3;

  /** Pause after the first failed delivery, doubled after each further one. */
  public static final Duration DEFAULT_RETRY_PAUSE = Duration.ofSeconds(1);

  /** How long {@link #close()} waits for queued alerts to be delivered. */
  public static final Duration DEFAULT_CLOSE_GRACE = Duration.ofSeconds(5);

  private static final Logger log = LoggerFactory.getLogger(Alerter.class);

  private final Errand errand;
  private final List<AlertSink> sinks;
  private final Clock clock;
  private final Builder config;
  private final BlockingQueue<Alert> queue;
  private final Map<String, FailureWindow> windows = new ConcurrentHashMap<>();

  /** Last alert per key and how many were held back since; guarded by itself. */
  private final Map<String, Raised> raised = new HashMap<>();

  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong undelivered = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final Map<String, Counter> meters = new ConcurrentHashMap<>();
  private final Object lifecycle = new Object();
  private final Thread delivery;
  private ScheduledExecutorService checker;
  private AutoCloseable subscription;
  private volatile boolean stopping;
  private boolean started;
  private boolean closed;

  private static final class Raised {
    Instant at;
    int suppressed;

    Raised(Instant at) {
      this.at = at;
    }
  }

  private Alerter(Builder b) {
    this.errand = b.errand;
    this.sinks = List.copyOf(b.sinks);
    this.clock = b.clock;
    this.config = b.copy();
    this.queue = new ArrayBlockingQueue<>(b.queueCapacity);
    this.delivery = new Thread(this::deliverUntilClosed, "errand-alerts");
    delivery.setDaemon(true);
  }

  /** A builder for alerts about {@code errand}, with every default and no sinks. */
  public static Builder builder(Errand errand) {
    return new Builder(Objects.requireNonNull(errand, "errand"));
  }

  /**
   * Subscribes to the engine's events and starts the delivery thread and the periodic check ({@code
   * errand-alert-check}).
   *
   * @throws IllegalStateException if started before or closed
   */
  public Alerter start() {
    synchronized (lifecycle) {
      if (started || closed) {
        throw new IllegalStateException(
            "this Alerter was already started" + (closed ? " and closed" : ""));
      }
      started = true;
      delivery.start();
      subscription = errand.subscribe(this);
      checker =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "errand-alert-check");
                t.setDaemon(true);
                return t;
              });
      long ms = config.checkInterval.toMillis();
      checker.scheduleWithFixedDelay(
          () -> {
            try {
              check();
            } catch (Throwable t) {
              log.warn("errand: alert check failed; will try again in {}", config.checkInterval, t);
            }
          },
          ms,
          ms,
          TimeUnit.MILLISECONDS);
    }
    log.info(
        "errand: alerts to {} (failure rate >= {} over {} with >= {} attempts, node stale after {},"
            + " cool-down {})",
        sinks.stream().map(AlertSink::name).toList(),
        config.failureRate,
        config.window,
        config.minAttempts,
        config.nodeStaleAfter,
        config.coolDown);
    return this;
  }

  /**
   * Counts attempt outcomes for the failure rate and raises dead-letter alerts. Called on the
   * engine's event thread; never blocks.
   */
  @Override
  public void onEvent(JobEvent e) {
    switch (e.kind()) {
      case SUCCEEDED -> window(e.type()).record(e.at(), false);
      case RETRY_SCHEDULED, RESCUED -> window(e.type()).record(e.at(), true);
      case FAILED -> {
        window(e.type()).record(e.at(), true);
        if (config.deadLetters) {
          Map<String, String> f = new LinkedHashMap<>();
          f.put("job_id", Long.toString(e.jobId()));
          f.put("type", e.type());
          f.put("queue", e.queue());
          f.put("attempt", Integer.toString(e.attempt()));
          f.put("node", e.nodeId());
          f.put("error", e.error() == null ? "" : e.error());
          raise(
              Alert.Kind.JOB_DEAD,
              e.type(),
              "job "
                  + e.jobId()
                  + " ("
                  + e.type()
                  + ", queue "
                  + e.queue()
                  + ") was dead-lettered after attempt "
                  + e.attempt()
                  + ": "
                  + e.error(),
              f);
        }
      }
      default -> {}
    }
  }

  private FailureWindow window(String type) {
    return windows.computeIfAbsent(type, t -> new FailureWindow(config.window));
  }

  /**
   * Evaluates failure rates and node health now and raises what crosses a limit. Runs every {@link
   * Builder#checkInterval} on {@code errand-alert-check}; callable from any thread.
   */
  public void check() {
    Instant now = clock.instant();
    for (Map.Entry<String, FailureWindow> w : windows.entrySet()) {
      long[] t = w.getValue().totals(now);
      long failed = t[0];
      long total = t[1];
      if (total >= config.minAttempts && failed >= config.failureRate * total) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("type", w.getKey());
        f.put("failed_attempts", Long.toString(failed));
        f.put("attempts", Long.toString(total));
        f.put(
            "failure_rate", String.format(java.util.Locale.ROOT, "%.3f", (double) failed / total));
        f.put("threshold", Double.toString(config.failureRate));
        f.put("window", config.window.toString());
        f.put("node", errand.nodeId());
        raise(
            Alert.Kind.FAILURE_RATE,
            w.getKey(),
            String.format(
                java.util.Locale.ROOT,
                "%d of %d attempts of type %s failed over the last %s on node %s (%.0f%%, threshold %.0f%%)",
                failed,
                total,
                w.getKey(),
                config.window,
                errand.nodeId(),
                100.0 * failed / total,
                100 * config.failureRate),
            f);
      }
    }
    for (Node n : errand.nodes()) {
      Duration age = Duration.between(n.heartbeatAt(), now);
      if (age.compareTo(config.nodeStaleAfter) > 0) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("node", n.id());
        f.put("host", n.host());
        f.put("pid", Long.toString(n.pid()));
        f.put("heartbeat_at", n.heartbeatAt().toString());
        f.put("heartbeat_age", age.toString());
        f.put("limit", config.nodeStaleAfter.toString());
        raise(
            Alert.Kind.NODE_UNHEALTHY,
            n.id(),
            "node "
                + n.id()
                + " on "
                + n.host()
                + " (pid "
                + n.pid()
                + ") has not sent a heartbeat for "
                + age.toSeconds()
                + " s (limit "
                + config.nodeStaleAfter.toSeconds()
                + " s); its running jobs are rescued when their leases expire",
            f);
      }
    }
    forgetExpired(now);
  }

  /**
   * Raises one alert unless an alert with the same kind and subject went out within the cool-down.
   * Never blocks: if the delivery queue is full the alert is dropped, counted and logged.
   *
   * @return true if the alert was queued for delivery
   */
  boolean raise(Alert.Kind kind, String subject, String text, Map<String, String> fields) {
    String key = kind.label() + ":" + subject;
    Instant now = clock.instant();
    int suppressed;
    synchronized (raised) {
      Raised r = raised.get(key);
      if (r != null && now.isBefore(r.at.plus(config.coolDown))) {
        r.suppressed++;
        return false;
      }
      suppressed = r == null ? 0 : r.suppressed;
      raised.put(key, new Raised(now));
    }
    Alert alert = new Alert(kind, key, text, fields, now, suppressed);
    count(kind, "raised");
    if (stopping || !queue.offer(alert)) {
      dropped.incrementAndGet();
      count(kind, "dropped");
      log.warn(
          "errand: alert dropped, the delivery queue ({} alerts) is full or closing: {}",
          config.queueCapacity,
          alert.summary());
      return false;
    }
    return true;
  }

  /**
   * {@code errand.alerts{kind, outcome}} on the engine's registry: raised, dropped, delivered,
   * undelivered.
   */
  private void count(Alert.Kind kind, String outcome) {
    meters
        .computeIfAbsent(
            kind.label() + "/" + outcome,
            k ->
                Counter.builder("errand.alerts")
                    .tag("kind", kind.label())
                    .tag("outcome", outcome)
                    .description(
                        "alerts by kind and outcome (per sink for delivered and undelivered)")
                    .register(errand.meterRegistry()))
        .increment();
  }

  private void forgetExpired(Instant now) {
    synchronized (raised) {
      raised.values().removeIf(r -> r.suppressed == 0 && !now.isBefore(r.at.plus(config.coolDown)));
    }
  }

  private void deliverUntilClosed() {
    try {
      while (!stopping || !queue.isEmpty()) {
        Alert a = queue.poll(100, TimeUnit.MILLISECONDS);
        if (a != null) {
          for (AlertSink s : sinks) {
            deliver(s, a);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable t) {
      log.error("errand: alert delivery thread stopped by an unexpected error", t);
    }
  }

  private void deliver(AlertSink sink, Alert alert) throws InterruptedException {
    long pause = config.retryPause.toMillis();
    for (int attempt = 1; ; attempt++) {
      try {
        sink.send(alert);
        delivered.incrementAndGet();
        count(alert.kind(), "delivered");
        return;
      } catch (InterruptedException e) {
        throw e;
      } catch (Exception e) {
        if (attempt >= config.deliveryAttempts) {
          undelivered.incrementAndGet();
          count(alert.kind(), "undelivered");
          log.error(
              "errand: alert not delivered to {} after {} attempts ({}): {}",
              sink.name(),
              attempt,
              e.toString(),
              alert.summary());
          return;
        }
        log.debug(
            "errand: alert delivery to {} failed (attempt {}/{}), retrying in {} ms",
            sink.name(),
            attempt,
            config.deliveryAttempts,
            pause,
            e);
        Thread.sleep(pause);
        pause *= 2;
      }
    }
  }

  /** Deliveries that succeeded (per sink). */
  public long delivered() {
    return delivered.get();
  }

  /** Deliveries given up after every attempt failed (per sink). */
  public long undelivered() {
    return undelivered.get();
  }

  /** Alerts dropped because the delivery queue was full or the alerter was closing. */
  public long dropped() {
    return dropped.get();
  }

  /**
   * Stops raising, delivers what is queued within {@link Builder#closeGrace}, then interrupts the
   * delivery thread. Idempotent; restores the caller's interrupt flag.
   */
  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      stopping = true;
      if (!started) {
        return;
      }
    }
    try {
      subscription.close();
    } catch (Exception e) {
      log.warn("errand: could not unsubscribe the alerter", e);
    }
    checker.shutdownNow();
    try {
      delivery.join(config.closeGrace.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (delivery.isAlive()) {
      delivery.interrupt();
      log.warn(
          "errand: {} queued alerts not delivered within {} of closing",
          queue.size(),
          config.closeGrace);
    }
  }

  /** Alerter options. Every setter validates its value and names it when it rejects one. */
  public static final class Builder {
    private final Errand errand;
    private final List<AlertSink> sinks = new ArrayList<>();
    private Clock clock;
    private Duration coolDown = DEFAULT_COOL_DOWN;
    private double failureRate = DEFAULT_FAILURE_RATE;
    private Duration window = DEFAULT_WINDOW;
    private int minAttempts = DEFAULT_MIN_ATTEMPTS;
    private Duration nodeStaleAfter = DEFAULT_NODE_STALE_AFTER;
    private Duration checkInterval = DEFAULT_CHECK_INTERVAL;
    private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
    private int deliveryAttempts = DEFAULT_DELIVERY_ATTEMPTS;
    private Duration retryPause = DEFAULT_RETRY_PAUSE;
    private Duration closeGrace = DEFAULT_CLOSE_GRACE;
    private boolean deadLetters = true;

    private Builder(Errand errand) {
      this.errand = errand;
      this.clock = errand.clock();
    }

    /** A snapshot, so that changing the builder later never changes a built alerter. */
    private Builder copy() {
      Builder c = new Builder(errand);
      c.sinks.addAll(sinks);
      c.clock = clock;
      c.coolDown = coolDown;
      c.failureRate = failureRate;
      c.window = window;
      c.minAttempts = minAttempts;
      c.nodeStaleAfter = nodeStaleAfter;
      c.checkInterval = checkInterval;
      c.queueCapacity = queueCapacity;
      c.deliveryAttempts = deliveryAttempts;
      c.retryPause = retryPause;
      c.closeGrace = closeGrace;
      c.deadLetters = deadLetters;
      return c;
    }

    /** Adds a sink; alerts go to every sink in the order added. */
    public Builder sink(AlertSink sink) {
      sinks.add(Objects.requireNonNull(sink, "sink"));
      return this;
    }

    /** The clock for windows, cool-downs and heartbeat ages; the engine's clock by default. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** At most one alert per key within this time (default 15 min). */
    public Builder coolDown(Duration d) {
      this.coolDown = positive("coolDown", d);
      return this;
    }

    /**
     * The share of failed attempts (0 exclusive to 1 inclusive) that raises an alert (default 0.5).
     */
    public Builder failureRate(double rate) {
      if (!(rate > 0 && rate <= 1)) {
        throw new IllegalArgumentException(
            "alert failureRate must be above 0 and at most 1 (0.5 = 50%), got " + rate);
      }
      this.failureRate = rate;
      return this;
    }

    /** The sliding window failure rates are measured over (default 5 min, at least 1 s). */
    public Builder window(Duration d) {
      positive("window", d);
      if (d.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException("alert window must be at least 1 s, got " + d);
      }
      this.window = d;
      return this;
    }

    /** Attempts a type needs in the window before its rate counts (default 20, at least 1). */
    public Builder minAttempts(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("alert minAttempts must be at least 1, got " + n);
      }
      this.minAttempts = n;
      return this;
    }

    /** A node whose heartbeat is older than this is unhealthy (default 1 min). */
    public Builder nodeStaleAfter(Duration d) {
      this.nodeStaleAfter = positive("nodeStaleAfter", d);
      return this;
    }

    /** How often failure rates and node health are checked (default 30 s). */
    public Builder checkInterval(Duration d) {
      this.checkInterval = positive("checkInterval", d);
      return this;
    }

    /** Alerts waiting for delivery before new ones are dropped (default 1,000). */
    public Builder queueCapacity(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("alert queueCapacity must be at least 1, got " + n);
      }
      this.queueCapacity = n;
      return this;
    }

    /** Tries per sink and alert, the first included (default 3). */
    public Builder deliveryAttempts(int n) {
      if (n < 1 || n > 10) {
        throw new IllegalArgumentException("alert deliveryAttempts must be 1-10, got " + n);
      }
      this.deliveryAttempts = n;
      return this;
    }

    /** Pause after the first failed delivery, doubled after each further one (default 1 s). */
    public Builder retryPause(Duration d) {
      this.retryPause = positive("retryPause", d);
      return this;
    }

    /** How long {@link #close()} waits for queued alerts (default 5 s). */
    public Builder closeGrace(Duration d) {
      this.closeGrace = positive("closeGrace", d);
      return this;
    }

    /** Whether dead-lettered jobs raise alerts (default true). */
    public Builder deadLetters(boolean enabled) {
      this.deadLetters = enabled;
      return this;
    }

    /**
     * The alerter, not yet started.
     *
     * @throws IllegalStateException if no sink was added
     */
    public Alerter build() {
      if (sinks.isEmpty()) {
        throw new IllegalStateException(
            "an Alerter needs at least one sink, e.g. .sink(new LogAlertSink())");
      }
      return new Alerter(this);
    }

    private static Duration positive(String what, Duration d) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("alert " + what + " must be positive, got " + d);
      }
      return d;
    }
  }
}
