package dev.errand;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.errand.spi.ClaimedJob;
import dev.errand.spi.Completion;
import dev.errand.spi.EnqueueResult;
import dev.errand.spi.JobStore;
import dev.errand.spi.LeaseRef;
import dev.errand.spi.NewJob;
import dev.errand.spi.Rescue;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The Errand engine: registers job types, enqueues jobs, runs workers for its queues and manages
 * stored jobs. Thread-safe. One per store per JVM is typical; several on one database form a
 * cluster.
 *
 * <pre>{@code
 * Errand errand = Errand.builder()
 *     .store(SqliteJobStore.file(Path.of("errand.db")))
 *     .queue("default", 8).queue("email", 2)
 *     .build();
 * JobType<Email> sendEmail = errand.register(
 *     JobType.of("send-email", Email.class, (ctx, email) -> mailer.send(email)).queue("email"));
 * errand.start();
 * errand.enqueue(sendEmail, new Email(to, subject, body));
 * }</pre>
 *
 * <p>Lifecycle: NEW → RUNNING ({@link #start()}) → STOPPING → TERMINATED ({@link #close()}).
 * Enqueueing and management work in every state but TERMINATED, so a node without queues can be a
 * pure producer. Delivery is at least once: a job runs again if its node dies mid-run.
 */
public final class Errand implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Errand.class);
  private static final Logger jobLog = LoggerFactory.getLogger("errand.job");

  /** Lifecycle states. */
  public enum Lifecycle {
    NEW,
    RUNNING,
    STOPPING,
    TERMINATED
  }

  private final JobStore store;
  private final Clock clock;
  private final Settings settings;
  private final Meters meters;
  private final ObjectMapper mapper;
  private final Map<String, JobType<?>> types = new ConcurrentHashMap<>();
  private final Map<String, QueueWorker> workers = new LinkedHashMap<>();
  private final Map<Long, Execution> active = new ConcurrentHashMap<>();
  private final Completer completer;
  private final EnqueueCombiner combiner;
  private final Watcher watcher;
  private final EventDispatcher events;
  private final Scheduler scheduler;

  /** Timeouts and delayed wake-ups only: never blocks on the store. */
  private final ScheduledExecutorService timer;

  /** Lease heartbeats only, so that slow maintenance never lets a lease lapse. */
  private final ScheduledExecutorService heartbeat;

  /** Rescue, node heartbeat, pruning, queue-depth gauges. */
  private final ScheduledExecutorService maintenance;

  private final Object lifecycleLock = new Object();
  private volatile Lifecycle lifecycle = Lifecycle.NEW;
  private volatile boolean opened;

  /** System.nanoTime() of the last store write that went through (claim, heartbeat, outcome). */
  private volatile long lastStoreWrite = System.nanoTime();

  private ExecutorService handlers;
  private AutoCloseable subscription;
  private ClusterEvents cluster;
  private Node node;

  private Errand(Builder b, Settings settings) {
    this.store = b.store;
    this.clock = b.clock;
    this.settings = settings;
    this.meters = new Meters(b.registry);
    this.mapper = b.mapper;
    this.completer = new Completer(this);
    this.combiner = new EnqueueCombiner(store);
    this.watcher = new Watcher(this);
    this.events = new EventDispatcher(meters);
    this.timer = Executors.newSingleThreadScheduledExecutor(Threads.named("errand-timer", true));
    this.heartbeat =
        Executors.newSingleThreadScheduledExecutor(Threads.named("errand-heartbeat", true));
    this.maintenance =
        Executors.newSingleThreadScheduledExecutor(Threads.named("errand-maintenance", true));
    settings.queues().forEach((q, n) -> workers.put(q, new QueueWorker(this, q, n)));
    this.scheduler = new Scheduler(this, b.schedulerSettings());
    scheduler.maintenanceTypes().forEach(this::register);
  }

  /** A builder with every default; only {@link Builder#store} is required. */
  public static Builder builder() {
    return new Builder();
  }

  // ---------------------------------------------------------------- registration and lifecycle

  /**
   * Registers a job type so that this engine can enqueue it and, if it serves the type's queue, run
   * it. Returns {@code type} for convenience.
   *
   * @throws IllegalArgumentException if a different type with the same name is registered
   */
  public <T> JobType<T> register(JobType<T> type) {
    Objects.requireNonNull(type, "type");
    JobType<?> prior = types.putIfAbsent(type.name(), type);
    if (prior != null && prior != type) {
      throw new IllegalArgumentException(
          "job type '"
              + type.name()
              + "' is already registered ("
              + prior
              + "); type names must be"
              + " unique");
    }
    return type;
  }

  /** The registered type named {@code name}, if any. */
  public Optional<JobType<?>> type(String name) {
    return Optional.ofNullable(types.get(name));
  }

  /**
   * Registered type names, sorted; the built-in maintenance types ({@code errand.prune}, {@code
   * errand.rescue}, {@code errand.orphans}) are registered on every engine but not listed.
   */
  public Set<String> typeNames() {
    TreeSet<String> names = new TreeSet<>(types.keySet());
    names.removeAll(Scheduler.BUILT_INS);
    return Collections.unmodifiableSet(names);
  }

  /**
   * Starts the workers of every configured queue, the heartbeats, the rescuer and the pruner.
   * Prepares the store first (migrations when enabled).
   *
   * @throws IllegalStateException unless the engine is NEW
   */
  public Errand start() {
    synchronized (lifecycleLock) {
      if (lifecycle != Lifecycle.NEW) {
        throw new IllegalStateException("start() needs a NEW engine; this one is " + lifecycle);
      }
      ensureOpen();
      node =
          new Node(
              settings.nodeId(),
              hostName(),
              ProcessHandle.current().pid(),
              clock.instant(),
              clock.instant(),
              settings.queues());
      store.heartbeatNode(node);
      handlers = Threads.perTask("errand-worker");
      completer.start();
      subscription = store.subscribe(store.notifiesOnOwnThread() ? this::wakeAndClaim : this::wake);
      if (settings.clusterEvents() && store.supportsClusterEvents()) {
        cluster =
            new ClusterEvents(store, mapper, settings.nodeId(), meters, events::publishRemote);
        cluster.start();
        events.forwardTo(cluster);
      }
      workers.values().forEach(QueueWorker::start);
      every(heartbeat, settings.heartbeatInterval(), "heartbeat", this::heartbeatLeases);
      every(maintenance, settings.rescueInterval(), "rescue", this::rescue);
      every(maintenance, settings.nodeHeartbeatInterval(), "node heartbeat", this::heartbeatNode);
      if (!scheduler.settings().enabled()) {
        every(maintenance, settings.pruneInterval(), "prune", this::pruneFinished);
      }
      every(maintenance, settings.depthInterval(), "queue depth", this::refreshDepth);
      scheduler.start();
      lifecycle = Lifecycle.RUNNING;
      log.info(
          "errand: scheduler {} (every {}, misfire threshold {}, max start age {},"
              + " maintenance {})",
          scheduler.settings().enabled() ? "on" : "off",
          scheduler.settings().interval(),
          scheduler.settings().misfireThreshold(),
          scheduler.settings().maxStartAge(),
          scheduler.settings().maintenance());
      log.info(
          "errand: started node {} on {} with queues {}, lease {}, heartbeat {}, rescue every"
              + " {}, poll {}, claim batch {}, cooldown claim {} outcome {}, shutdown grace {},"
              + " quarantine after {} rescues,"
              + " retention succeeded {} failed {}, {} threads",
          settings.nodeId(),
          store.getClass().getSimpleName(),
          settings.queues(),
          settings.lease(),
          settings.heartbeatInterval(),
          settings.rescueInterval(),
          settings.pollInterval(),
          settings.claimBatch(),
          settings.claimCooldown(),
          settings.completionCooldown(),
          settings.shutdownGrace(),
          settings.quarantineAfter(),
          settings.succeededRetention(),
          settings.failedRetention(),
          Threads.virtual() ? "virtual" : "platform");
      return this;
    }
  }

  /**
   * Stops gracefully: stops claiming, lets running handlers finish within the shutdown grace, then
   * interrupts the rest and releases their jobs at once (without spending an attempt) so another
   * node takes them; writes every pending outcome; deregisters the node and closes the store.
   * Idempotent; later calls return at once.
   */
  @Override
  public void close() {
    synchronized (lifecycleLock) {
      if (lifecycle == Lifecycle.TERMINATED || lifecycle == Lifecycle.STOPPING) {
        return;
      }
      boolean wasRunning = lifecycle == Lifecycle.RUNNING;
      lifecycle = Lifecycle.STOPPING;
      try {
        if (wasRunning) {
          shutdownWorkers();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        scheduler.stop();
        timer.shutdownNow();
        heartbeat.shutdownNow();
        maintenance.shutdownNow();
        watcher.stop();
        try {
          events.stop();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        if (wasRunning) {
          closeQuietly(subscription);
          closeQuietly(cluster);
          try {
            store.removeNode(settings.nodeId());
          } catch (RuntimeException e) {
            log.warn("errand: could not deregister node {}", settings.nodeId(), e);
          }
        }
        store.close();
        lifecycle = Lifecycle.TERMINATED;
        log.info("errand: node {} stopped", settings.nodeId());
      }
    }
  }

  private void shutdownWorkers() throws InterruptedException {
    for (QueueWorker w : workers.values()) {
      w.stopClaiming().forEach(this::release);
    }
    long deadline = System.nanoTime() + settings.shutdownGrace().toNanos();
    boolean idle = true;
    for (QueueWorker w : workers.values()) {
      idle &= w.awaitIdle(deadline);
    }
    if (!idle) {
      log.info(
          "errand: {} jobs still running after the {} grace; interrupting and releasing them",
          active.values().stream().filter(e -> !e.settled.get()).count(),
          settings.shutdownGrace());
      active.values().forEach(e -> e.stop(Execution.Stop.SHUTDOWN));
      long second =
          System.nanoTime() + Math.min(settings.shutdownGrace().toNanos(), 2_000_000_000L);
      for (QueueWorker w : workers.values()) {
        w.awaitIdle(second);
      }
      for (Execution e : active.values()) {
        if (!e.settled.get()) {
          log.warn(
              "errand: job {} ({}) ignored its interrupt; releasing it while its thread still runs",
              e.job.id(),
              e.job.type());
          release(e);
        }
      }
    }
    completer.stop();
    handlers.shutdownNow();
  }

  /** The engine's lifecycle state. */
  public Lifecycle lifecycle() {
    return lifecycle;
  }

  /**
   * Node id, lifecycle, held executions, outcomes waiting for the completer and each queue's fetch
   * state, for diagnostics.
   */
  @Override
  public String toString() {
    return "Errand[node="
        + settings.nodeId()
        + ", "
        + lifecycle
        + ", active="
        + active.size()
        + ", outcomes waiting="
        + completer.backlog()
        + ", queues="
        + workers.values()
        + "]";
  }

  /** This engine's node id. */
  public String nodeId() {
    return settings.nodeId();
  }

  /** The clock this engine reads. */
  public Clock clock() {
    return clock;
  }

  /** The meter registry Errand's meters are in. */
  public MeterRegistry meterRegistry() {
    return meters.registry();
  }

  /** The store this engine uses. */
  public JobStore store() {
    return store;
  }

  // ------------------------------------------------------------------------------ enqueue

  /** Enqueues one job to run as soon as a worker is free. */
  public <T> JobHandle enqueue(JobType<T> type, T payload) {
    return enqueue(type, payload, Enqueue.now());
  }

  /**
   * Enqueues one job.
   *
   * @throws IllegalArgumentException if the type is not registered here or the payload does not map
   *     to JSON and back to the type's payload class
   * @throws IllegalStateException if the engine is terminated
   */
  public <T> JobHandle enqueue(JobType<T> type, T payload, Enqueue options) {
    return enqueueAll(null, type, List.of(nonNull(payload, 0)), options).get(0);
  }

  /**
   * Enqueues many jobs of one type with one store operation (one transaction). The options apply to
   * every job; with a unique key, only the first is created and the others return it.
   */
  public <T> List<JobHandle> enqueueAll(JobType<T> type, List<T> payloads, Enqueue options) {
    return enqueueAll(null, type, payloads, options);
  }

  /**
   * Enqueues one job on the caller's JDBC connection, inside the caller's transaction: the job
   * exists if and only if that transaction commits. Errand never commits, rolls back or closes the
   * connection. Across processes the job is announced on commit (PostgreSQL NOTIFY); on SQLite this
   * process's workers are woken on commit (a connection from the store's data source) and other
   * processes' find it by their next poll. The {@code errand.jobs.enqueued} counter and the
   * ENQUEUED event are emitted when this returns, before the commit, and stay if the transaction
   * rolls back.
   *
   * @throws IllegalStateException if the store is not a JDBC store
   */
  public <T> JobHandle enqueue(Connection connection, JobType<T> type, T payload, Enqueue options) {
    Objects.requireNonNull(connection, "connection");
    return enqueueAll(connection, type, List.of(nonNull(payload, 0)), options).get(0);
  }

  /** Like {@link #enqueueAll(JobType, List, Enqueue)} inside the caller's transaction. */
  public <T> List<JobHandle> enqueueAll(
      Connection connection, JobType<T> type, List<T> payloads, Enqueue options) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(payloads, "payloads");
    Objects.requireNonNull(options, "options");
    requireRegistered(type);
    List<String> json = new ArrayList<>(payloads.size());
    for (int i = 0; i < payloads.size(); i++) {
      json.add(payloadJson(type, nonNull(payloads.get(i), i)));
    }
    return store(connection, type, json, options);
  }

  /**
   * Enqueues a job by type name with a JSON payload, as remote callers do. The JSON must map to the
   * type's payload class (unknown fields are rejected).
   *
   * @throws IllegalArgumentException naming the registered types if {@code typeName} is unknown, or
   *     saying what does not map
   */
  public JobHandle enqueueJson(String typeName, String payloadJson, Enqueue options) {
    JobType<?> type = knownType(typeName);
    String canonical = canonicalJson(type, payloadJson);
    return store(null, type, List.of(canonical), Objects.requireNonNull(options, "options")).get(0);
  }

  /**
   * Enqueues many jobs of one type given as JSON, with one store operation (one transaction), as
   * {@link #enqueueAll(JobType, List, Enqueue)} does for objects: every payload is checked first,
   * and if one does not map nothing is stored. Results are in input order.
   *
   * @throws IllegalArgumentException naming the registered types if {@code typeName} is unknown, or
   *     naming the index of the first payload that does not map
   */
  public List<JobHandle> enqueueJsonAll(
      String typeName, List<String> payloadsJson, Enqueue options) {
    Objects.requireNonNull(payloadsJson, "payloadsJson");
    Objects.requireNonNull(options, "options");
    JobType<?> type = knownType(typeName);
    List<String> canonical = new ArrayList<>(payloadsJson.size());
    for (int i = 0; i < payloadsJson.size(); i++) {
      try {
        canonical.add(canonicalJson(type, payloadsJson.get(i)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("payload " + i + ": " + e.getMessage(), e);
      }
    }
    return store(null, type, canonical, options);
  }

  /**
   * Checks, storing nothing, that {@link #enqueueJson} would accept {@code payloadJson} for {@code
   * typeName}, so that a caller can validate a whole batch (or a schedule) before enqueueing any of
   * it. Any thread.
   *
   * @return the payload as it would be stored (as the type's mapper writes it back)
   * @throws IllegalArgumentException with the same message {@link #enqueueJson} would give
   */
  public String checkJson(String typeName, String payloadJson) {
    return canonicalJson(knownType(typeName), payloadJson);
  }

  private JobType<?> knownType(String typeName) {
    JobType<?> type = typeName == null ? null : types.get(typeName);
    if (type == null) {
      throw new IllegalArgumentException(
          "unknown job type '"
              + typeName
              + "'; register it with errand.register(JobType.of(\""
              + typeName
              + "\", Payload.class, handler)) first (registered: "
              + typeNames()
              + ")");
    }
    return type;
  }

  /** The payload JSON as the type's mapper writes it back, or why it does not map. */
  String canonicalJson(JobType<?> type, String payloadJson) {
    Objects.requireNonNull(payloadJson, "payloadJson");
    try {
      Object payload = mapper.readValue(payloadJson, type.payloadClass());
      if (payload == null) {
        throw new IllegalArgumentException(
            "payload for job type '"
                + type.name()
                + "' is JSON null;"
                + " every job needs a payload (use {} for an empty record)");
      }
      return mapper.writeValueAsString(payload);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "payload for job type '"
              + type.name()
              + "' does not map to "
              + type.payloadClass().getSimpleName()
              + ": "
              + e.getOriginalMessage(),
          e);
    }
  }

  private List<JobHandle> store(Connection c, JobType<?> type, List<String> json, Enqueue o) {
    if (lifecycle == Lifecycle.TERMINATED) {
      throw new IllegalStateException("this Errand is terminated; enqueue on a running one");
    }
    ensureOpen();
    Instant now = clock.instant();
    Instant runAt = o.runAt(now);
    String queue = o.queue() != null ? o.queue() : type.queue();
    int priority = o.priority() != null ? o.priority() : type.priority();
    int maxAttempts = o.maxAttempts() != null ? o.maxAttempts() : type.maxAttempts();
    List<NewJob> jobs = new ArrayList<>(json.size());
    for (String j : json) {
      jobs.add(
          new NewJob(
              type.name(), queue, j, priority, maxAttempts, runAt, o.uniqueKey(), o.tags(), null));
    }
    List<JobHandle> handles = new ArrayList<>(jobs.size());
    long write = events.beginWrite();
    try {
      List<EnqueueResult> results = c == null ? combiner.enqueue(jobs) : store.enqueue(c, jobs);
      long created = results.stream().filter(EnqueueResult::created).count();
      meters.count("enqueued", type.name(), queue, created);
      for (EnqueueResult r : results) {
        handles.add(new JobHandle(this, r.id(), r.created()));
        if (r.created()) {
          events.publish(
              new JobEvent(
                  JobEvent.Kind.ENQUEUED, r.id(), type.name(), queue, 0, now, nodeId(), null));
        }
      }
    } finally {
      events.endWrite(write);
    }
    wakeAt(queue, runAt, now);
    return handles;
  }

  private void wakeAt(String queue, Instant runAt, Instant now) {
    QueueWorker w = workers.get(queue);
    if (w == null || lifecycle == Lifecycle.TERMINATED) {
      return;
    }
    Duration delay = Duration.between(now, runAt);
    if (delay.isNegative() || delay.isZero()) {
      w.wake();
    } else if (delay.compareTo(settings.pollInterval().multipliedBy(1000)) < 0) {
      long delayNanos = delay.toNanos(); // under a thousand polls: no overflow
      // Never early: a wake-up a fraction of a millisecond before the job is due finds nothing and
      // leaves it for the next poll. One millisecond of margin for the store's clock, and a second
      // wake-up a little later in case the store's clock (the database's) is behind this one.
      long at = delayNanos + WAKE_MARGIN_NANOS;
      try {
        timer.schedule(w::wake, at, TimeUnit.NANOSECONDS);
        timer.schedule(w::wake, at + WAKE_AGAIN_NANOS, TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.RejectedExecutionException ignored) {
        // stopping: nothing to wake
      }
    }
  }

  /** How late after a job's due time the engine wakes its queue, and then once more. */
  private static final long WAKE_MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private static final long WAKE_AGAIN_NANOS = TimeUnit.MILLISECONDS.toNanos(25);

  /** Asks this engine's worker for {@code queue} to look for due jobs now. Any thread. */
  public void wake(String queue) {
    QueueWorker w = workers.get(queue);
    if (w != null) {
      w.wake();
    }
  }

  /**
   * A store's notification that another process enqueued for {@code queue}: the notifying thread
   * claims itself when the queue's loop is idle (see {@link QueueWorker#wakeAndClaim}).
   */
  private void wakeAndClaim(String queue) {
    QueueWorker w = workers.get(queue);
    if (w != null) {
      w.wakeAndClaim();
    }
  }

  private void requireRegistered(JobType<?> type) {
    JobType<?> known = types.get(type.name());
    if (known == null) {
      throw new IllegalArgumentException(
          "job type '"
              + type.name()
              + "' is not registered with"
              + " this Errand; call errand.register(type) before enqueueing (registered: "
              + typeNames()
              + ")");
    }
  }

  String payloadJson(JobType<?> type, Object payload) {
    if (!type.payloadClass().isInstance(payload)) {
      throw new IllegalArgumentException(
          "payload for job type '"
              + type.name()
              + "' must be a "
              + type.payloadClass().getName()
              + ", got "
              + payload.getClass().getName());
    }
    String json = toJson(payload, "payload for job type '" + type.name() + "'");
    try {
      mapper.readValue(json, type.payloadClass());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "payload for job type '"
              + type.name()
              + "' does not map"
              + " back from JSON to "
              + type.payloadClass().getSimpleName()
              + ": "
              + e.getOriginalMessage()
              + "; use a record or a class Jackson can read",
          e);
    }
    return json;
  }

  String toJson(Object value, String what) {
    try {
      return mapper.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          what + " cannot be written as JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static <T> T nonNull(T payload, int index) {
    if (payload == null) {
      throw new IllegalArgumentException(
          "payload "
              + index
              + " is null; every job needs a payload"
              + " (use an empty record for none)");
    }
    return payload;
  }

  // ------------------------------------------------------------------------------ running

  /** Holds a claimed job: from here until its outcome is written its lease is heartbeated. */
  Execution hold(QueueWorker worker, ClaimedJob claim) {
    Execution e = new Execution(this, claim, types.get(claim.job().type()), worker);
    active.put(claim.job().id(), e);
    return e;
  }

  /** Runs {@code first} on a new handler thread, then whatever the queue's buffer hands it. */
  void execute(Execution first) {
    try {
      handlers.execute(
          () -> {
            Execution e = first;
            while (e != null) {
              long nanos = run(e);
              e = e.worker.next(e, nanos);
            }
          });
    } catch (RuntimeException rejected) {
      release(first);
      first.worker.next(first, 0);
    }
  }

  /**
   * Gives a held job back without running it (shutdown, or claimed with a job due for its isolated
   * run); spends no attempt.
   */
  void release(Execution e) {
    if (e.settled.compareAndSet(false, true)) {
      completer.submit(
          new Completer.Pending(e, Completion.release(e.job.id(), e.fence()), "released", 0));
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private long run(Execution e) {
    Job job = e.job;
    e.attach();
    MDC.put("errand.job_id", Long.toString(job.id()));
    MDC.put("errand.job_type", job.type());
    MDC.put("errand.queue", job.queue());
    MDC.put("errand.attempt", job.attempt() + "/" + job.maxAttempts());
    meters.count("started", job.type(), job.queue(), 1);
    Instant now = clock.instant();
    meters.latency(job.type(), job.queue(), Duration.between(job.runAt(), now));
    events.publish(jobEvent(JobEvent.Kind.STARTED, job, now, null));
    if (e.type != null && e.type.timeout() != null) {
      e.timeoutTask =
          timer.schedule(
              () -> e.stop(Execution.Stop.TIMEOUT),
              e.type.timeout().toMillis(),
              TimeUnit.MILLISECONDS);
    }
    long start = System.nanoTime();
    Throwable error = null;
    try {
      if (e.type == null) {
        throw new IllegalStateException(
            "no handler registered for job type '"
                + job.type()
                + "' on node "
                + nodeId()
                + "; register it on every node serving queue '"
                + job.queue()
                + "'");
      }
      Object payload;
      try {
        payload = mapper.readValue(job.payload(), e.type.payloadClass());
      } catch (JsonProcessingException ex) {
        throw new PermanentFailure(
            "stored payload no longer maps to "
                + e.type.payloadClass().getSimpleName()
                + ": "
                + ex.getOriginalMessage(),
            ex);
      }
      if (e.stopReason == null) {
        ((JobHandler) e.type.handler()).handle(e, payload);
      }
    } catch (Throwable t) {
      error = t;
    } finally {
      if (e.timeoutTask != null) {
        e.timeoutTask.cancel(false);
      }
      e.detach();
    }
    long nanos = System.nanoTime() - start;
    try {
      finish(e, error, nanos);
    } finally {
      MDC.remove("errand.job_id");
      MDC.remove("errand.job_type");
      MDC.remove("errand.queue");
      MDC.remove("errand.attempt");
    }
    return nanos;
  }

  private void finish(Execution e, Throwable error, long nanos) {
    if (!e.settled.compareAndSet(false, true)) {
      return; // shutdown already released it
    }
    Job job = e.job;
    Execution.Stop stop = e.stopReason;
    Completion c;
    String outcome;
    if (stop == Execution.Stop.LEASE_LOST) {
      jobLog.warn(
          "job.lease_lost id={} type={} queue={} attempt={}/{} duration_ms={} node={}",
          job.id(),
          job.type(),
          job.queue(),
          job.attempt(),
          job.maxAttempts(),
          nanos / 1_000_000,
          nodeId());
      meters.count("errand.lease.lost");
      events.publish(jobEvent(JobEvent.Kind.LEASE_LOST, job, clock.instant(), null));
      if (active.remove(job.id(), e)) {
        e.worker.settled();
      }
      return;
    }
    if (e.completedInTransaction && error == null) {
      c = null;
      outcome = "succeeded";
    } else if (stop == Execution.Stop.SHUTDOWN && (error != null || e.snooze != null)) {
      c = Completion.release(job.id(), e.fence());
      outcome = "released";
    } else if (error == null && stop == Execution.Stop.TIMEOUT) {
      error = new java.util.concurrent.TimeoutException("timed out after " + e.type.timeout());
      c = failure(e, error, "timeout");
      outcome = c.outcome() == Completion.Outcome.RETRY ? "retry" : "failed";
    } else if (error == null) {
      c =
          e.snooze != null
              ? Completion.snooze(job.id(), e.fence(), clock.instant().plus(e.snooze))
              : Completion.succeeded(job.id(), e.fence(), e.resultJson);
      outcome = e.snooze != null ? "snoozed" : "succeeded";
    } else {
      String kind =
          stop == Execution.Stop.TIMEOUT
              ? "timeout"
              : e.type != null && e.type.isPermanent(error) ? "permanent" : "error";
      if (stop == Execution.Stop.TIMEOUT) {
        error =
            new java.util.concurrent.TimeoutException(
                "timed out after " + e.type.timeout() + " (" + describe(error) + ")");
      }
      c = failure(e, error, kind);
      outcome = c.outcome() == Completion.Outcome.RETRY ? "retry" : "failed";
    }
    String message = error == null ? null : describe(error);
    if (error == null) {
      jobLog.info(
          "job.finished id={} type={} queue={} attempt={}/{} outcome={} duration_ms={}",
          job.id(),
          job.type(),
          job.queue(),
          job.attempt(),
          job.maxAttempts(),
          outcome,
          nanos / 1_000_000);
    } else {
      jobLog.warn(
          "job.finished id={} type={} queue={} attempt={}/{} outcome={} duration_ms={} error=\"{}\"",
          job.id(),
          job.type(),
          job.queue(),
          job.attempt(),
          job.maxAttempts(),
          outcome,
          nanos / 1_000_000,
          message);
    }
    completer.submit(new Completer.Pending(e, c, outcome, nanos));
  }

  private Completion failure(Execution e, Throwable error, String kind) {
    Job job = e.job;
    Instant now = clock.instant();
    AttemptError ae =
        new AttemptError(
            job.attempt(), job.startedAt(), now, kind, describe(error), stackTrace(error));
    boolean permanent = "permanent".equals(kind);
    if (permanent || job.attempt() >= job.maxAttempts()) {
      return Completion.fail(job.id(), e.fence(), ae);
    }
    Duration delay;
    if (error instanceof RetryAfter asked) {
      delay = asked.delay();
    } else {
      delay = (e.type != null ? e.type.backoff() : JobType.DEFAULT_BACKOFF).delay(job.attempt());
    }
    return Completion.retry(job.id(), e.fence(), now.plus(delay), ae);
  }

  /**
   * Called by the completer when the store keeps refusing an outcome while it takes other writes.
   * The job leaves the heartbeat, so its lease expires and the rescuer runs it again.
   */
  void unwritten(Completer.Pending p, RuntimeException error) {
    Job job = p.execution().job;
    if (!active.remove(job.id(), p.execution())) {
      return; // already settled
    }
    p.execution().worker.settled();
    meters.count("errand.outcomes.unwritten");
    jobLog.error(
        "job.outcome_unwritten id={} type={} queue={} attempt={}/{} outcome={} error=\"{}\""
            + " reason=\"the store refused the outcome; the job runs again once its lease expires\"",
        job.id(),
        job.type(),
        job.queue(),
        job.attempt(),
        job.maxAttempts(),
        p.outcome(),
        describe(error));
  }

  /** Records that a store write went through. Any thread. */
  void storeWrote() {
    lastStoreWrite = System.nanoTime();
  }

  /** True if a store write went through after {@code nanos} (a System.nanoTime() value). */
  boolean storeWroteSince(long nanos) {
    return lastStoreWrite - nanos > 0;
  }

  /** Called by the completer once an outcome is written (or rejected). */
  void settle(Completer.Pending p, boolean accepted) {
    Execution e = p.execution();
    Job job = e.job;
    if (!active.remove(job.id(), e)) {
      return; // already settled
    }
    e.worker.settled();
    Instant now = clock.instant();
    if (!accepted) {
      meters.count("errand.lease.rejected");
      jobLog.warn(
          "job.write_rejected id={} type={} queue={} attempt={}/{} outcome={} reason=\"lease"
              + " no longer held: the job was rescued, cancelled or claimed again\"",
          job.id(),
          job.type(),
          job.queue(),
          job.attempt(),
          job.maxAttempts(),
          p.outcome());
      events.publish(jobEvent(JobEvent.Kind.LEASE_LOST, job, now, null));
      return;
    }
    meters.duration(job.type(), job.queue(), p.outcome(), p.durationNanos());
    Completion c = p.completion();
    Completion.Outcome o = c == null ? Completion.Outcome.SUCCEEDED : c.outcome();
    String error = c != null && c.error() != null ? c.error().message() : null;
    JobEvent.Kind kind;
    switch (o) {
      case SUCCEEDED -> {
        meters.count("succeeded", job.type(), job.queue(), 1);
        kind = JobEvent.Kind.SUCCEEDED;
      }
      case RETRY -> {
        meters.count("failed", job.type(), job.queue(), 1);
        meters.count("retried", job.type(), job.queue(), 1);
        kind = JobEvent.Kind.RETRY_SCHEDULED;
        wakeAt(job.queue(), c.runAt(), now);
      }
      case FAIL -> {
        meters.count("failed", job.type(), job.queue(), 1);
        meters.count("dead", job.type(), job.queue(), 1);
        kind = JobEvent.Kind.FAILED;
        jobLog.error(
            "job.dead id={} type={} queue={} attempts={}/{} error=\"{}\"",
            job.id(),
            job.type(),
            job.queue(),
            job.attempt(),
            job.maxAttempts(),
            error);
      }
      case SNOOZE -> {
        meters.count("snoozed", job.type(), job.queue(), 1);
        kind = JobEvent.Kind.SNOOZED;
        wakeAt(job.queue(), c.runAt(), now);
      }
      default -> {
        meters.count("released", job.type(), job.queue(), 1);
        kind = JobEvent.Kind.RELEASED;
      }
    }
    events.publish(jobEvent(kind, job, now, error));
    if ((o == Completion.Outcome.SUCCEEDED || o == Completion.Outcome.FAIL)
        && watcher.isWatched(job.id())) {
      watcher.nudge();
    }
  }

  static String describe(Throwable t) {
    String m = t.getMessage();
    return t.getClass().getName() + (m == null ? "" : ": " + m);
  }

  private static String stackTrace(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    String s = w.toString();
    return s.length() > 4000 ? s.substring(0, 4000) + "\n\t..." : s;
  }

  // ------------------------------------------------------------------------------ maintenance

  private void every(ScheduledExecutorService on, Duration interval, String what, Runnable task) {
    long ms = interval.toMillis();
    on.scheduleWithFixedDelay(
        () -> {
          try {
            task.run();
          } catch (Throwable t) {
            meters.storeError(what);
            log.warn("errand: {} failed; will try again in {}", what, interval, t);
          }
        },
        ms,
        ms,
        TimeUnit.MILLISECONDS);
  }

  private void heartbeatLeases() {
    if (active.isEmpty()) {
      return;
    }
    List<LeaseRef> leases = new ArrayList<>(active.size());
    for (Execution e : active.values()) {
      leases.add(new LeaseRef(e.job.id(), e.fence(), e.progress));
    }
    Set<Long> lost = store.heartbeat(leases, settings.lease());
    storeWrote();
    for (Long id : lost) {
      Execution e = active.get(id);
      if (e != null && !e.settled.get()) {
        log.warn("errand: lost the lease of job {} ({}); stopping its handler", id, e.job.type());
        e.stop(Execution.Stop.LEASE_LOST);
      }
    }
  }

  private void rescue() {
    rescueExpired();
  }

  /** Rescues every job whose lease expired; returns how many. */
  int rescueExpired() {
    int total = 0;
    List<Rescue> rescued;
    do {
      rescued = store.rescueExpired(settings.quarantineAfter(), 500);
      Instant now = clock.instant();
      for (Rescue r : rescued) {
        meters.count("rescued", r.type(), r.queue(), 1);
        if (r.state() == JobState.FAILED) {
          meters.count("dead", r.type(), r.queue(), 1);
          jobLog.error(
              "job.dead id={} type={} queue={} attempt={} reason=\"{}\" node={}",
              r.id(),
              r.type(),
              r.queue(),
              r.attempt(),
              r.quarantined()
                  ? "quarantined after " + settings.quarantineAfter() + " rescues"
                  : "lease expired on the last attempt",
              r.nodeId());
        } else {
          jobLog.warn(
              "job.rescued id={} type={} queue={} attempt={} node={} reason=\"lease expired\"",
              r.id(),
              r.type(),
              r.queue(),
              r.attempt(),
              r.nodeId());
          wake(r.queue());
        }
        events.publish(
            new JobEvent(
                r.state() == JobState.FAILED ? JobEvent.Kind.FAILED : JobEvent.Kind.RESCUED,
                r.id(),
                r.type(),
                r.queue(),
                r.attempt(),
                now,
                nodeId(),
                "lease expired on node " + r.nodeId()));
      }
      total += rescued.size();
    } while (rescued.size() == 500);
    return total;
  }

  private void heartbeatNode() {
    store.heartbeatNode(node);
    store.pruneNodes(settings.nodeHeartbeatInterval().multipliedBy(6));
  }

  /** Deletes finished jobs past their retention; returns how many. */
  int pruneFinished() {
    Instant now = store.now();
    return pruneAll(JobState.SUCCEEDED, now.minus(settings.succeededRetention()))
        + pruneAll(JobState.FAILED, now.minus(settings.failedRetention()))
        + pruneAll(JobState.CANCELLED, now.minus(settings.failedRetention()));
  }

  private int pruneAll(JobState state, Instant before) {
    int total = 0;
    for (int round = 0; round < 100; round++) {
      int n = store.prune(state, before, 1000);
      total += n;
      if (n < 1000) {
        break;
      }
    }
    return total;
  }

  private void refreshDepth() {
    meters.depth(store.liveCounts(), workers.keySet());
  }

  // ------------------------------------------------------------------------------ management

  /** The job as stored now, or empty if there is none with this id. */
  public Optional<Job> job(long id) {
    return store.find(id);
  }

  /**
   * The jobs stored now with these ids, in one store read, by id; ids without a job are left out.
   */
  public Map<Long, Job> jobs(Collection<Long> ids) {
    Objects.requireNonNull(ids, "ids");
    if (ids.isEmpty()) {
      return Map.of();
    }
    Map<Long, Job> out = new HashMap<>();
    for (Job j : store.findAll(ids)) {
      out.put(j.id(), j);
    }
    return out;
  }

  /** A handle on an existing job (it need not exist; reads will say so). */
  public JobHandle handle(long id) {
    return new JobHandle(this, id, false);
  }

  /** One page of jobs, newest first. */
  public JobPage jobs(JobQuery query) {
    return store.list(Objects.requireNonNull(query, "query"));
  }

  /** Counts by queue, type and state. */
  public JobCounts counts() {
    return store.counts();
  }

  /**
   * What the jobs that finished in {@code [from, to]} (store clock; see {@link
   * dev.errand.spi.JobStore#now()}) did, by queue and type: successes, failures, retries, timeouts
   * and durations, counted by the store over every finished job it still holds. The cluster's
   * numbers, the same on every node.
   *
   * @throws IllegalArgumentException if {@code from} is after {@code to}
   */
  public FinishedStats finishedStats(Instant from, Instant to) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    if (from.isAfter(to)) {
      throw new IllegalArgumentException(
          "from " + from + " is after to " + to + "; give the window's start first");
    }
    return store.finishedStats(from, to);
  }

  /**
   * Jobs that finished (SUCCEEDED or FAILED) per {@code step}, {@code count} steps from {@code
   * first}, the last one ending at {@code end} (store clock; see {@link FinishedSeries}), counted
   * by the store in one query.
   *
   * @throws IllegalArgumentException if {@code step} is not a positive whole number of
   *     microseconds, {@code count} is not in 1..{@value FinishedSeries#MAX_POINTS}, or {@code end}
   *     is before the last step's start
   */
  public FinishedSeries finishedSeries(Instant first, Duration step, int count, Instant end) {
    FinishedSeries.check(first, step, count, end);
    return store.finishedSeries(first, step, count, end);
  }

  /** Nodes that are alive (heartbeat within the last six node-heartbeat intervals). */
  public List<Node> nodes() {
    return store.nodes();
  }

  /**
   * Moves a FAILED or CANCELLED job back to QUEUED to run now; if it has no attempt left it gets
   * one more.
   *
   * @throws IllegalStateException saying why if the job does not exist or is in another state
   */
  public Job retry(long id) {
    if (!store.retry(id)) {
      throw refused(
          id,
          "retried",
          "only FAILED or CANCELLED jobs can be retried (a job with the"
              + " same unique key may also be live)");
    }
    Job j = store.find(id).orElseThrow();
    events.publish(jobEvent(JobEvent.Kind.RETRIED, j, clock.instant(), null));
    wake(j.queue());
    return j;
  }

  /**
   * Cancels a job that is not final. A running handler is interrupted at its node's next heartbeat
   * and its outcome is discarded.
   *
   * @throws IllegalStateException saying why if the job does not exist or is already final
   */
  public Job cancel(long id) {
    if (!store.cancel(id)) {
      throw refused(id, "cancelled", "it is already final");
    }
    Job j = store.find(id).orElseThrow();
    events.publish(
        new JobEvent(
            JobEvent.Kind.CANCELLED,
            id,
            j.type(),
            j.queue(),
            j.attempt(),
            clock.instant(),
            nodeId(),
            null));
    Execution e = active.get(id);
    if (e != null) {
      e.stop(Execution.Stop.LEASE_LOST);
    }
    if (watcher.isWatched(id)) {
      watcher.nudge();
    }
    return j;
  }

  /**
   * Deletes a job that is not RUNNING (cancel it first).
   *
   * @throws IllegalStateException saying why if the job does not exist or is running
   */
  public void delete(long id) {
    Optional<Job> before = store.find(id);
    if (!store.delete(id)) {
      throw refused(id, "deleted", "RUNNING jobs cannot be deleted; cancel it first");
    }
    before.ifPresent(
        j ->
            events.publish(
                new JobEvent(
                    JobEvent.Kind.DELETED,
                    id,
                    j.type(),
                    j.queue(),
                    j.attempt(),
                    clock.instant(),
                    nodeId(),
                    null)));
  }

  private IllegalStateException refused(long id, String verb, String rule) {
    Optional<Job> j = store.find(id);
    if (j.isEmpty()) {
      return new IllegalStateException("job " + id + " does not exist");
    }
    return new IllegalStateException(
        "job " + id + " is " + j.get().state() + " and cannot be " + verb + ": " + rule);
  }

  /** Pauses {@code queue} on every node: no new claims until resumed; running jobs finish. */
  public void pause(String queue) {
    JobType.requireName("queue name", queue);
    store.setPaused(queue, true);
  }

  /** Resumes a paused queue on every node. */
  public void resume(String queue) {
    JobType.requireName("queue name", queue);
    store.setPaused(queue, false);
    wake(queue);
  }

  /** Names of queues paused cluster-wide. */
  public Set<String> pausedQueues() {
    return store.pausedQueues();
  }

  /**
   * Subscribes to job events seen by this engine; close the result to unsubscribe. Each event is
   * delivered once, on this engine's event thread, in the order this engine saw them; a job's
   * events begin with its ENQUEUED when this engine enqueued it.
   */
  public AutoCloseable subscribe(JobEventListener listener) {
    return events.subscribe(Objects.requireNonNull(listener, "listener"), false);
  }

  /**
   * Subscribes to the job events of every engine on this store's database: this engine's, as {@link
   * #subscribe} delivers them, and those the other nodes share (see {@link Builder#clusterEvents}),
   * whose {@link JobEvent#nodeId()} names the node that saw them. For live views such as dashboards
   * and pages waiting for a job: another node's events arrive a few milliseconds late, may
   * interleave with this engine's for the same job, and are dropped (and counted in {@code
   * errand.events.cluster.dropped}) beyond about 16,000 a second per node or while the database is
   * unreachable; the store stays the record. Metrics and alerts should use {@link #subscribe}, so
   * that each node counts only what it saw. On a store without a cross-node channel (SQLite, memory
   * stores not shared) this delivers this engine's events only.
   */
  public AutoCloseable subscribeCluster(JobEventListener listener) {
    return events.subscribe(Objects.requireNonNull(listener, "listener"), true);
  }

  CompletableFuture<Job> watch(long id) {
    return watcher.watch(id);
  }

  void whenFinal(long id, Consumer<Job> callback) {
    watch(id).thenAccept(j -> events.callback(() -> callback.accept(j)));
  }

  // ------------------------------------------------------------------------------ schedules

  /**
   * Stores a schedule, or replaces the definition of the schedule with that name; every node's
   * scheduler then keeps its next {@link RecurringJob#lookAhead()} occurrences materialized as
   * SCHEDULED jobs. Storing an unchanged definition changes nothing. A changed definition cancels
   * the old definition's occurrences due after now and fires by the new one from now on. Nothing is
   * stored if the input is rejected. Callable in every state but TERMINATED; occurrences appear
   * once a started engine's scheduler runs (within {@link Builder#schedulerInterval}).
   *
   * @return the schedule as stored
   * @throws IllegalArgumentException naming the part to fix: an unknown job type, a payload that
   *     does not map to the type's payload class, or a start further in the past than {@link
   *     Builder#scheduleMaxStartAge} (text schedules are checked by {@link RecurringJob#ofJson})
   */
  public ScheduleInfo defineSchedule(RecurringJob schedule) {
    ensureOpen();
    return scheduler.define(schedule);
  }

  /** Every stored schedule, built-in ones included, by name, with upcoming occurrences. */
  public List<ScheduleInfo> schedules() {
    ensureOpen();
    return scheduler.list();
  }

  /** The stored schedule named {@code name}, or empty. */
  public Optional<ScheduleInfo> schedule(String name) {
    ensureOpen();
    return scheduler.find(name);
  }

  /**
   * Deletes a schedule and, atomically with it, cancels its waiting occurrences (SCHEDULED, QUEUED,
   * RETRYING); an occurrence already RUNNING finishes.
   *
   * @return how many occurrences were cancelled
   * @throws IllegalArgumentException if no such schedule exists, or it is built in
   */
  public int deleteSchedule(String name) {
    ensureOpen();
    return scheduler.delete(name);
  }

  /**
   * Pauses a schedule on every node: no new occurrences, and its occurrences due after now are
   * cancelled (reported). Fire times while paused never run, not even after {@link
   * #resumeSchedule}.
   *
   * @return how many occurrences were cancelled
   * @throws IllegalArgumentException if no such schedule exists
   */
  public int pauseSchedule(String name) {
    ensureOpen();
    return scheduler.setPaused(name, true);
  }

  /**
   * Resumes a paused schedule: it fires again from now on.
   *
   * @throws IllegalArgumentException if no such schedule exists
   */
  public void resumeSchedule(String name) {
    ensureOpen();
    scheduler.setPaused(name, false);
  }

  /**
   * Runs one extra occurrence of a schedule now, besides its regular ones (paused or not). The job
   * carries the schedule's name as its schedule id and has no unique key.
   *
   * @throws IllegalArgumentException if no such schedule exists
   */
  public JobHandle triggerSchedule(String name) {
    ensureOpen();
    return scheduler.trigger(name);
  }

  /**
   * Runs this node's scheduler once now, on the calling thread: tops up every schedule's window and
   * applies misfire policies. Started engines do this every {@link Builder#schedulerInterval} by
   * themselves; this is for tests and for an explicit "process schedules" call.
   *
   * @return occurrences this call created (0 if another node had already created them)
   */
  public int materializeSchedules() {
    ensureOpen();
    return scheduler.tick();
  }

  /**
   * Runs a store write that enqueues jobs the caller then {@link #announce}s, so that the events of
   * those jobs keep ENQUEUED first (see {@link EventDispatcher}).
   */
  <R> R enqueueWrite(java.util.function.Supplier<R> write) {
    long w = events.beginWrite();
    try {
      return write.get();
    } finally {
      events.endWrite(w);
    }
  }

  /** An event of {@code job}'s current attempt on this node. */
  private JobEvent jobEvent(JobEvent.Kind kind, Job job, Instant at, String error) {
    return new JobEvent(
        kind, job.id(), job.type(), job.queue(), job.attempt(), at, nodeId(), error);
  }

  /** Counts, announces and wakes for jobs a store call enqueued on the engine's behalf. */
  void announce(List<NewJob> jobs, List<EnqueueResult> results) {
    Instant now = clock.instant();
    Set<List<Object>> wakes = new java.util.HashSet<>();
    for (int i = 0; i < results.size(); i++) {
      EnqueueResult r = results.get(i);
      NewJob j = jobs.get(i);
      if (r.created()) {
        meters.count("enqueued", j.type(), j.queue(), 1);
        events.publish(
            new JobEvent(
                JobEvent.Kind.ENQUEUED, r.id(), j.type(), j.queue(), 0, now, nodeId(), null));
        if (wakes.add(List.of(j.queue(), j.runAt()))) {
          wakeAt(j.queue(), j.runAt(), now);
        }
      }
    }
  }

  // ------------------------------------------------------------------------------ internals

  Settings settings() {
    return settings;
  }

  Meters meters() {
    return meters;
  }

  private void ensureOpen() {
    if (!opened) {
      synchronized (lifecycleLock) {
        if (!opened) {
          store.open();
          opened = true;
        }
      }
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      return "unknown";
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception e) {
        log.warn("errand: closing {} failed", c, e);
      }
    }
  }

  // ------------------------------------------------------------------------------ builder

  /**
   * Configures an {@link Errand}. Every setter validates its value and throws {@link
   * IllegalArgumentException} naming it; {@link #build()} checks the combination.
   */
  public static final class Builder {
    /** Lease of a claimed job; a dead node's jobs are rescued within lease + rescue interval. */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(15);

    public static final Duration DEFAULT_RESCUE_INTERVAL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
    public static final int DEFAULT_CLAIM_BATCH = 100;
    public static final int DEFAULT_COMPLETION_BATCH = 1000;

    /** Default {@link #claimCooldown} and {@link #completionCooldown}: 1 ms. */
    public static final Duration DEFAULT_COOLDOWN = Duration.ofMillis(1);

    /** The longest {@link #claimCooldown} or {@link #completionCooldown} accepted: 1 s. */
    public static final Duration MAX_COOLDOWN = Duration.ofSeconds(1);

    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);
    public static final int DEFAULT_QUARANTINE_AFTER = 3;
    public static final Duration DEFAULT_SUCCEEDED_RETENTION = Duration.ofDays(1);
    public static final Duration DEFAULT_FAILED_RETENTION = Duration.ofDays(14);

    /** How often the scheduler looks at stored schedules unless told otherwise. */
    public static final Duration DEFAULT_SCHEDULER_INTERVAL = Duration.ofSeconds(1);

    /** How late a fire time may be and still run as usual unless told otherwise. */
    public static final Duration DEFAULT_MISFIRE_THRESHOLD = Duration.ofMinutes(1);

    /** How far in the past a new schedule may start unless told otherwise. */
    public static final Duration DEFAULT_SCHEDULE_MAX_START_AGE = Duration.ofDays(1);

    /** Default interval of the built-in {@code errand.rescue} schedule. */
    public static final Duration DEFAULT_RESCUE_SCHEDULE = Duration.ofMinutes(1);

    /** Default interval of the built-in {@code errand.orphans} schedule. */
    public static final Duration DEFAULT_ORPHANS_SCHEDULE = Duration.ofMinutes(5);

    private JobStore store;
    private Clock clock = Clock.systemUTC();
    private MeterRegistry registry;
    private ObjectMapper mapper;
    private final Map<String, Integer> queues = new LinkedHashMap<>();
    private String nodeId;
    private Duration lease = DEFAULT_LEASE;
    private Duration heartbeat;
    private Duration rescueInterval = DEFAULT_RESCUE_INTERVAL;
    private Duration pollInterval = DEFAULT_POLL_INTERVAL;
    private int claimBatch = DEFAULT_CLAIM_BATCH;
    private int completionBatch = DEFAULT_COMPLETION_BATCH;
    private Duration claimCooldown = DEFAULT_COOLDOWN;
    private Duration completionCooldown = DEFAULT_COOLDOWN;
    private Duration shutdownGrace = DEFAULT_SHUTDOWN_GRACE;
    private int quarantineAfter = DEFAULT_QUARANTINE_AFTER;
    private Duration succeededRetention = DEFAULT_SUCCEEDED_RETENTION;
    private Duration failedRetention = DEFAULT_FAILED_RETENTION;
    private Duration pruneInterval = Duration.ofMinutes(1);
    private Duration nodeHeartbeat = Duration.ofSeconds(10);
    private Duration watchInterval = Duration.ofMillis(200);
    private boolean clusterEvents = true;
    private boolean schedulerEnabled = true;
    private Duration schedulerInterval = DEFAULT_SCHEDULER_INTERVAL;
    private Duration misfireThreshold = DEFAULT_MISFIRE_THRESHOLD;
    private Duration scheduleMaxStartAge = DEFAULT_SCHEDULE_MAX_START_AGE;
    private final Map<String, Schedule> maintenance = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Whether this node runs the scheduler (default true): it materializes every stored schedule's
     * occurrences, defines the built-in maintenance schedules and serves their queue {@value
     * Scheduler#MAINTENANCE_QUEUE} with one slot. Any number of nodes may run it; each fire time
     * still runs once. Without it this node prunes on a timer every {@link #pruneInterval}.
     */
    public Builder scheduler(boolean enabled) {
      this.schedulerEnabled = enabled;
      return this;
    }

    /** How often the scheduler tops up windows and looks for misfires (default 1 s). */
    public Builder schedulerInterval(Duration interval) {
      this.schedulerInterval = atLeast("schedulerInterval", interval, Duration.ofMillis(10));
      return this;
    }

    /**
     * How late a fire time may be materialized and still run as usual (default 1 min); fire times
     * later than that, missed while no scheduler ran, go through the schedule's {@link Misfire}
     * policy.
     */
    public Builder misfireThreshold(Duration threshold) {
      this.misfireThreshold = atLeast("misfireThreshold", threshold, Duration.ZERO);
      return this;
    }

    /**
     * How far in the past {@link RecurringJob#startAt} may be (default 1 day); an older start is
     * rejected.
     */
    public Builder scheduleMaxStartAge(Duration age) {
      this.scheduleMaxStartAge = atLeast("scheduleMaxStartAge", age, Duration.ZERO);
      return this;
    }

    /**
     * Moves a built-in maintenance schedule: {@code errand.prune} (finished jobs past their
     * retention; default every {@link #pruneInterval}), {@code errand.rescue} (a sweep for expired
     * leases, logged and counted as a job; default every minute, on top of the rescue timer every
     * {@link #rescueInterval}) or {@code errand.orphans} (cancels occurrences whose schedule is
     * gone; default every 5 minutes). E.g. {@code maintenance("errand.prune",
     * Schedule.daily(LocalTime.of(2, 0), ZoneId.of("Europe/London")))}. Give every node the same
     * maintenance configuration: the last node to start defines it.
     *
     * @throws IllegalArgumentException naming the built-in schedules if {@code name} is not one
     */
    public Builder maintenance(String name, Schedule schedule) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(schedule, "schedule");
      maintenance.put(Scheduler.requireBuiltIn(name), schedule);
      return this;
    }

    SchedulerSettings schedulerSettings() {
      Map<String, Schedule> m = new LinkedHashMap<>();
      m.put(Scheduler.PRUNE, Schedule.every(pruneInterval));
      m.put(Scheduler.RESCUE, Schedule.every(DEFAULT_RESCUE_SCHEDULE));
      m.put(Scheduler.ORPHANS, Schedule.every(DEFAULT_ORPHANS_SCHEDULE));
      m.putAll(maintenance);
      return new SchedulerSettings(
          schedulerEnabled,
          schedulerInterval,
          misfireThreshold,
          scheduleMaxStartAge,
          Collections.unmodifiableMap(m));
    }

    /** Where jobs live. Required. The engine opens it on start and closes it on close. */
    public Builder store(JobStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * Serves {@code name} on this node with up to {@code concurrency} jobs at once. A node without
     * queues only enqueues and manages.
     */
    public Builder queue(String name, int concurrency) {
      JobType.requireName("queue name", name);
      if (concurrency < 1 || concurrency > 10_000) {
        throw new IllegalArgumentException(
            "concurrency of queue '" + name + "' must be 1-10000, got " + concurrency);
      }
      if (queues.putIfAbsent(name, concurrency) != null) {
        throw new IllegalArgumentException("queue '" + name + "' is configured twice");
      }
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Where meters go; a private {@code SimpleMeterRegistry} if not set. */
    public Builder meterRegistry(MeterRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /**
     * The mapper for payloads and results. The default fails on unknown properties and on nulls for
     * primitives, and writes java.time values as ISO strings.
     */
    public Builder objectMapper(ObjectMapper mapper) {
      this.mapper = Objects.requireNonNull(mapper, "mapper");
      return this;
    }

    /** This node's id in the node registry and in jobs; a random one by default. */
    public Builder nodeId(String nodeId) {
      JobType.requireName("node id", nodeId);
      this.nodeId = nodeId;
      return this;
    }

    /**
     * How long a claim holds a job without a heartbeat (default 15 s). A dead node's jobs are
     * rescued after at most lease + rescue interval. At least 1 s.
     */
    public Builder lease(Duration lease) {
      this.lease = atLeast("lease", lease, Duration.ofSeconds(1));
      return this;
    }

    /** How often leases of running jobs are renewed; lease / 3 by default, and below lease / 2. */
    public Builder heartbeatInterval(Duration interval) {
      this.heartbeat = atLeast("heartbeatInterval", interval, Duration.ofMillis(100));
      return this;
    }

    /** How often expired leases are looked for (default 5 s). */
    public Builder rescueInterval(Duration interval) {
      this.rescueInterval = atLeast("rescueInterval", interval, Duration.ofMillis(100));
      return this;
    }

    /**
     * How often an idle worker looks for due jobs without being woken (default 1 s). Wake-ups make
     * this a fallback: enqueues in this JVM and PostgreSQL notifications wake workers at once.
     */
    public Builder pollInterval(Duration interval) {
      this.pollInterval = atLeast("pollInterval", interval, Duration.ofMillis(10));
      return this;
    }

    /**
     * Most jobs claimed in one store call (default 100). A queue holds at most concurrency +
     * claimBatch + completionBatch jobs RUNNING in the store (running, claimed ahead, or finished
     * with the outcome not yet written): the most a crash of its node runs again.
     */
    public Builder claimBatch(int n) {
      this.claimBatch = range("claimBatch", n, 1, 10_000);
      return this;
    }

    /** Most outcomes written in one store call (default 1000). */
    public Builder completionBatch(int n) {
      this.completionBatch = range("completionBatch", n, 1, 10_000);
      return this;
    }

    /**
     * Least time between the starts of two claims of one queue on this node when the first did not
     * fill its request (default 1 ms, {@link Duration#ZERO} for none, at most 1 s).
     *
     * <p>Every enqueue wakes the queue's fetch loop. Under a steady stream of single enqueues a
     * loop that claimed on every wake-up would claim one or two jobs per statement; waiting out the
     * cooldown lets the jobs that arrived meanwhile share one claim. A claim that returned as many
     * jobs as it asked for is followed at once, so a backlog drains at full speed, and a job that
     * arrives after a quiet spell longer than the cooldown is claimed at once. So the cooldown
     * delays a job's start by at most its length, and only while jobs of its queue arrive faster
     * than one per cooldown.
     */
    public Builder claimCooldown(Duration cooldown) {
      this.claimCooldown = cooldown("claimCooldown", cooldown);
      return this;
    }

    /**
     * Least time between the starts of two outcome writes when the first wrote fewer than {@link
     * #completionBatch} outcomes (default 1 ms, {@link Duration#ZERO} for none, at most 1 s). The
     * outcomes that finish meanwhile share the next write; it delays when a job's outcome is stored
     * (and its callbacks run) by at most its length, and only while jobs finish faster than one per
     * cooldown. A handler slot is freed when the handler returns, not when its outcome is written.
     */
    public Builder completionCooldown(Duration cooldown) {
      this.completionCooldown = cooldown("completionCooldown", cooldown);
      return this;
    }

    /** How long close() lets running jobs finish before interrupting and releasing them (10 s). */
    public Builder shutdownGrace(Duration grace) {
      this.shutdownGrace = atLeast("shutdownGrace", grace, Duration.ZERO);
      return this;
    }

    /**
     * After how many lease expiries a job is quarantined to FAILED instead of run again (3): a job
     * that keeps killing its node stops cycling.
     */
    public Builder quarantineAfterRescues(int n) {
      this.quarantineAfter = range("quarantineAfterRescues", n, 1, 1000);
      return this;
    }

    /** How long SUCCEEDED jobs are kept (1 day), and FAILED and CANCELLED ones (14 days). */
    public Builder retention(Duration succeeded, Duration failedOrCancelled) {
      this.succeededRetention = atLeast("succeeded retention", succeeded, Duration.ZERO);
      this.failedRetention = atLeast("failed retention", failedOrCancelled, Duration.ZERO);
      return this;
    }

    /** How often finished jobs past their retention are deleted, in batches of 1000 (1 min). */
    public Builder pruneInterval(Duration interval) {
      this.pruneInterval = atLeast("pruneInterval", interval, Duration.ofMillis(100));
      return this;
    }

    /** How often this node refreshes its registry entry (10 s); six missed beats remove it. */
    public Builder nodeHeartbeatInterval(Duration interval) {
      this.nodeHeartbeat = atLeast("nodeHeartbeatInterval", interval, Duration.ofMillis(100));
      return this;
    }

    /**
     * Whether this engine shares its job events with the engines on other nodes of the same
     * database and hands theirs to {@link Errand#subscribeCluster} listeners (true). Works where
     * the store has a cross-node channel (PostgreSQL: LISTEN/NOTIFY on {@code errand_events}, one
     * more connection per engine and one NOTIFY per batch of events); elsewhere cluster listeners
     * see this engine's events only.
     */
    public Builder clusterEvents(boolean enabled) {
      this.clusterEvents = enabled;
      return this;
    }

    /** How often handles watching jobs run by other nodes read their state (200 ms). */
    public Builder watchInterval(Duration interval) {
      this.watchInterval = atLeast("watchInterval", interval, Duration.ofMillis(10));
      return this;
    }

    /**
     * Builds the engine (nothing runs until {@link Errand#start()}).
     *
     * @throws IllegalStateException if no store is set or the heartbeat is not below lease / 2
     */
    public Errand build() {
      if (store == null) {
        throw new IllegalStateException(
            "no store: call .store(SqliteJobStore.file(path)),"
                + " .store(PostgresJobStore.create(dataSource)) or .store(MemoryJobStore.create())");
      }
      Duration hb = heartbeat != null ? heartbeat : lease.dividedBy(3);
      if (hb.compareTo(lease.dividedBy(2)) >= 0) {
        throw new IllegalStateException(
            "heartbeatInterval "
                + hb
                + " must be below half the lease "
                + lease
                + ", or leases expire between heartbeats");
      }
      Settings s =
          new Settings(
              nodeId != null ? nodeId : "node-" + UUID.randomUUID().toString().substring(0, 8),
              Map.copyOf(withMaintenanceQueue()),
              lease,
              hb,
              rescueInterval,
              pollInterval,
              claimBatch,
              completionBatch,
              claimCooldown,
              completionCooldown,
              shutdownGrace,
              quarantineAfter,
              succeededRetention,
              failedRetention,
              pruneInterval,
              nodeHeartbeat,
              watchInterval,
              Duration.ofSeconds(5),
              clusterEvents);
      if (registry == null) {
        registry = new SimpleMeterRegistry();
      }
      if (mapper == null) {
        mapper = defaultMapper();
      }
      return new Errand(this, s);
    }

    private Map<String, Integer> withMaintenanceQueue() {
      Map<String, Integer> all = new LinkedHashMap<>(queues);
      if (schedulerEnabled) {
        all.putIfAbsent(Scheduler.MAINTENANCE_QUEUE, 1);
      }
      return all;
    }

    private static Duration atLeast(String what, Duration d, Duration min) {
      Objects.requireNonNull(d, what);
      if (d.compareTo(min) < 0) {
        throw new IllegalArgumentException(what + " must be at least " + min + ", got " + d);
      }
      return d;
    }

    private static Duration cooldown(String what, Duration d) {
      atLeast(what, d, Duration.ZERO);
      if (d.compareTo(MAX_COOLDOWN) > 0) {
        throw new IllegalArgumentException(
            what + " must be at most " + MAX_COOLDOWN + " (Duration.ZERO turns it off), got " + d);
      }
      return d;
    }

    private static int range(String what, int n, int min, int max) {
      if (n < min || n > max) {
        throw new IllegalArgumentException(what + " must be " + min + "-" + max + ", got " + n);
      }
      return n;
    }
  }

  /** The default payload mapper (see {@link Builder#objectMapper}). */
  public static ObjectMapper defaultMapper() {
    return JsonMapper.builder()
        .addModule(new JavaTimeModule())
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .build();
  }
}
