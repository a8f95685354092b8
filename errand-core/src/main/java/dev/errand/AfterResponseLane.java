package dev.errand;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The in-memory, best-effort lane that runs small tasks after a response is complete (see {@link
 * AfterResponse} for the call sites). Thread-safe; one per application is typical.
 *
 * <p>What it guarantees:
 *
 * <ul>
 *   <li><b>Order and isolation.</b> A request's tasks run one after another in the order they were
 *       added, on a lane thread (never the request's). A task that throws, returns a failed {@link
 *       CompletionStage} or throws an {@link Error} is logged and counted, and the next task runs.
 *   <li><b>The hang bound.</b> Every attempt has a time limit ({@link Builder#taskTimeout}, or
 *       {@link TaskOptions#timeout}). When it passes, the task is counted as timed out, its thread
 *       is interrupted and <em>abandoned</em>: a fresh lane thread takes over the request's
 *       remaining tasks at once, so the lane keeps its full number of threads. The JVM cannot kill
 *       a thread, so a task that ignores interrupts keeps its thread until it returns; gauge {@code
 *       errand.after.abandoned} shows how many such threads are alive. A task that returns a stage
 *       is bounded the same way: the lane stops waiting for the stage and cancels it.
 *   <li><b>Bounded.</b> {@link Builder#threads} threads, a queue of at most {@link
 *       Builder#queueCapacity} requests, at most {@link Builder#maxTasksPerRequest} tasks per
 *       request. A full queue follows the {@link Saturation} policy; every full queue and every
 *       task not run is counted and logged, never silent.
 *   <li><b>One log line per failure</b>, on logger {@code errand.after} at WARN, with the label,
 *       the request's correlation id and the attempt; while a task runs, the MDC holds {@code
 *       errand.task} (its label) and {@code errand.request_id}.
 *   <li><b>Graceful shutdown.</b> {@link #shutdown()} stops accepting tasks, lets queued and
 *       running ones finish within {@link Builder#shutdownGrace}, then interrupts what is running
 *       and returns a {@link ShutdownReport} naming what it could not run.
 * </ul>
 *
 * <p>Not guaranteed: anything across a crash. Tasks live in memory; a process that dies loses them.
 * Work that must happen belongs in the durable lane ({@link AfterResponse#run(JobType, Object)}).
 *
 * <p>Threads: virtual threads when the JVM has them (21+), else platform daemon threads, named
 * {@code errand-after-N}; one platform thread {@code errand-after-timer} for time limits and retry
 * waits. Time limits and backoff waits are relative delays on that timer (monotonic time), not
 * wall-clock instants.
 */
public final class AfterResponseLane implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("errand.after");

  private static final int RUNNING = 0;
  private static final int DRAINING = 1;
  private static final int STOPPED = 2;

  private final int threads;
  private final int queueCapacity;
  private final int maxTasksPerRequest;
  private final Saturation saturation;
  private final Duration waitLimit;
  private final Duration taskTimeout;
  private final Duration shutdownGrace;
  private final Errand errand;
  private final ArrayBlockingQueue<LaneBatch> queue;
  private final ScheduledThreadPoolExecutor timer;
  private final ThreadFactory threadFactory;
  private final Set<Worker> workers = ConcurrentHashMap.newKeySet();
  private final Set<LaneTask> retrying = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedQueue<String> droppedLate = new ConcurrentLinkedQueue<>();
  private final AtomicInteger abandoned = new AtomicInteger();

  /** Batches being run by a thread that is not abandoned (workers and callers). */
  private final AtomicInteger busy = new AtomicInteger();

  private final LaneMeters meters;
  private final Object drain = new Object();
  private final Object lifecycle = new Object();
  private volatile int state = RUNNING;
  private ShutdownReport report;

  private AfterResponseLane(Builder b) {
    this.threads = b.threads;
    this.queueCapacity = b.queueCapacity;
    this.maxTasksPerRequest = b.maxTasksPerRequest;
    this.saturation = b.saturation;
    this.waitLimit = b.waitLimit;
    this.taskTimeout = b.taskTimeout;
    this.shutdownGrace = b.shutdownGrace;
    this.errand = b.errand;
    this.queue = new ArrayBlockingQueue<>(b.queueCapacity);
    MeterRegistry registry =
        b.registry != null
            ? b.registry
            : b.errand != null ? b.errand.meterRegistry() : new SimpleMeterRegistry();
    this.meters = new LaneMeters(registry, queue, abandoned, b.labelTags);
    this.timer = new ScheduledThreadPoolExecutor(1, Threads.named("errand-after-timer", true));
    timer.setRemoveOnCancelPolicy(true);
    this.threadFactory = Threads.virtualOrDaemon("errand-after");
    for (int i = 0; i < threads; i++) {
      startWorker(null, false);
    }
    log.info(
        "errand: after-response lane with {} {} threads, queue of {} requests, at most {} tasks"
            + " per request, saturation {}{}, task timeout {}, shutdown grace {}, durable tasks {}",
        threads,
        Threads.virtual() ? "virtual" : "platform",
        b.queueCapacity,
        maxTasksPerRequest,
        saturation,
        saturation == Saturation.WAIT ? " (up to " + waitLimit + ")" : "",
        taskTimeout,
        shutdownGrace,
        errand != null ? "on" : "off (no Errand configured)");
  }

  /** A builder with every default. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Opens the scope of one request. Integrations call this when a request starts and {@link
   * RequestScope#complete()} once its response is complete; any thread.
   *
   * @param correlationId the request's id for logs (e.g. an {@code X-Request-Id} header), or null
   *     to have one generated
   */
  public RequestScope openScope(String correlationId) {
    String id =
        correlationId == null || correlationId.isBlank()
            ? UUID.randomUUID().toString()
            : correlationId;
    return new RequestScope(this, id);
  }

  /** The engine durable after-response tasks are written to, if this lane has one. */
  public Optional<Errand> errand() {
    return Optional.ofNullable(errand);
  }

  /** Requests whose tasks are waiting for a lane thread. */
  public int queued() {
    return queue.size();
  }

  /**
   * Threads of timed-out tasks that have not returned yet (they no longer count as lane threads).
   */
  public int abandonedThreads() {
    return abandoned.get();
  }

  /**
   * Stops accepting tasks (later ones are rejected and counted), waits up to the shutdown grace for
   * queued, running and retry-waiting tasks to finish, then interrupts what still runs and drops
   * what has not started. Logs and returns what could not be run. Idempotent: later calls return
   * the first report. Call it after the web server has stopped taking requests.
   */
  public ShutdownReport shutdown() {
    synchronized (lifecycle) {
      if (report != null) {
        return report;
      }
      state = DRAINING;
      long deadline = System.nanoTime() + shutdownGrace.toNanos();
      try {
        synchronized (drain) {
          long left;
          while (!idle() && (left = deadline - System.nanoTime()) > 0) {
            drain.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      report = stop();
      AfterResponse.uninstall(this);
      return report;
    }
  }

  /** {@link #shutdown()}, for try-with-resources and containers that call close(). */
  @Override
  public void close() {
    shutdown();
  }

  @Override
  public String toString() {
    return "AfterResponseLane{threads="
        + threads
        + ", queued="
        + queue.size()
        + ", abandoned="
        + abandoned.get()
        + ", state="
        + (state == RUNNING ? "running" : state == DRAINING ? "draining" : "stopped")
        + "}";
  }

  // ------------------------------------------------------------------------------ package API

  int maxTasksPerRequest() {
    return maxTasksPerRequest;
  }

  /** A first attempt of {@code work}, a {@link Runnable} or a {@link Callable}. */
  LaneTask task(String label, String correlationId, TaskOptions options, Object work) {
    Duration timeout = options.timeout() != null ? options.timeout() : taskTimeout;
    return new LaneTask(
        label, correlationId, work, timeout.toNanos(), 1, options.maxAttempts(), options.backoff());
  }

  /** Hands a request's tasks (or one task outside a request) to the lane; any thread. */
  void submit(List<LaneTask> tasks) {
    if (!tasks.isEmpty()) {
      submit(new LaneBatch(tasks), true);
    }
  }

  void discarded(String correlationId, List<LaneTask> tasks, Throwable cause) {
    if (tasks.isEmpty()) {
      return;
    }
    tasks.forEach(t -> meters.outcome(LaneMeters.Outcome.DISCARDED, t.label));
    log.info(
        "errand: request {} failed ({}); its {} after-response tasks were not run: {}",
        correlationId,
        cause,
        tasks.size(),
        labels(tasks));
  }

  void rejectedOverLimit(String correlationId, String label) {
    meters.outcome(LaneMeters.Outcome.REJECTED, label);
    log.warn(
        "errand: after-response task '{}' of request {} rejected: the request already has {}"
            + " tasks, the lane's maxTasksPerRequest",
        label,
        correlationId,
        maxTasksPerRequest);
  }

  void rejectedQuietly(String label) {
    meters.outcome(LaneMeters.Outcome.REJECTED, label);
  }

  // ------------------------------------------------------------------------------ submission

  /**
   * Queues a batch. {@code fromCaller} is true for a request's tasks and next-tick tasks (refused
   * once shutdown began; may run in the caller), false for retries and continuations after a hang
   * (accepted while draining; never run in the timer thread).
   */
  private void submit(LaneBatch b, boolean fromCaller) {
    if (fromCaller ? state != RUNNING : state == STOPPED) {
      reject(b, "the lane is shutting down");
      return;
    }
    if (queue.offer(b)) {
      return;
    }
    meters.saturated(saturation);
    switch (saturation) {
      case WAIT:
        try {
          if (queue.offer(b, waitLimit.toNanos(), TimeUnit.NANOSECONDS)) {
            return;
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        reject(
            b,
            "the queue of "
                + queueCapacity
                + " requests stayed full for "
                + waitLimit
                + " (policy WAIT)");
        return;
      case CALLER_RUNS:
        if (fromCaller) {
          log.debug(
              "errand: after-response queue full; request {} runs its tasks on {}",
              b.correlationId(),
              Thread.currentThread().getName());
          runBatch(b, null, false);
        } else {
          reject(
              b,
              "the queue of "
                  + queueCapacity
                  + " requests is full and this retry or"
                  + " continuation has no caller to run it (policy CALLER_RUNS)");
        }
        return;
      default:
        reject(b, "the queue of " + queueCapacity + " requests is full (policy REJECT)");
    }
  }

  private void reject(LaneBatch b, String why) {
    List<LaneTask> rest = b.cancel();
    rest.forEach(t -> meters.outcome(LaneMeters.Outcome.REJECTED, t.label));
    log.warn(
        "errand: rejected {} after-response tasks of request {}: {}; not run: {}. Raise"
            + " threads or queueCapacity, or choose Saturation.CALLER_RUNS",
        rest.size(),
        b.correlationId(),
        why,
        labels(rest));
  }

  // ------------------------------------------------------------------------------ running

  private void startWorker(LaneBatch first, boolean counted) {
    Worker w = new Worker(first, counted);
    workers.add(w);
    Thread t = threadFactory.newThread(w);
    w.thread = t;
    t.start();
  }

  /**
   * Runs a batch's tasks in order; false if this thread was abandoned mid-batch. {@code counted} is
   * true when the batch is already in {@code busy} (taken over from an abandoned thread).
   */
  private boolean runBatch(LaneBatch b, Worker worker, boolean counted) {
    if (!counted) {
      busy.incrementAndGet();
    }
    for (LaneTask t; (t = b.take()) != null; ) {
      if (state == STOPPED) {
        droppedLate.add(t.label);
        b.cancel().forEach(x -> droppedLate.add(x.label));
        break;
      }
      if (!runTask(t, b, worker)) {
        return false; // busy was given back by whoever abandoned this thread
      }
    }
    busy.decrementAndGet();
    signalDrain();
    return true;
  }

  /** Runs one attempt; false if the attempt was abandoned (timed out or stopped). */
  private boolean runTask(LaneTask t, LaneBatch b, Worker worker) {
    Attempt a = new Attempt(t, b, worker, Thread.currentThread());
    if (worker != null) {
      worker.current = a;
    }
    MDC.put("errand.task", t.label);
    MDC.put("errand.request_id", t.correlationId);
    try {
      long start = System.nanoTime();
      Throwable failure = null;
      try {
        a.timeout = timer.schedule(() -> timedOut(a), t.timeoutNanos, TimeUnit.NANOSECONDS);
        Object result = t.call();
        if (result instanceof CompletionStage) {
          a.stage = ((CompletionStage<?>) result).toCompletableFuture();
          a.stage.get();
        }
      } catch (ExecutionException e) {
        failure = e.getCause() != null ? e.getCause() : e;
      } catch (Throwable e) {
        failure = e;
      }
      long nanos = System.nanoTime() - start;
      if (a.timeout != null) {
        a.timeout.cancel(false);
      }
      if (!a.finish()) {
        if (a.stage != null) {
          a.stage.cancel(true);
        }
        return false;
      }
      if (failure == null) {
        meters.attempt(LaneMeters.Outcome.SUCCEEDED, nanos);
        meters.outcome(LaneMeters.Outcome.SUCCEEDED, t.label);
        log.debug(
            "errand: after-response task '{}' of request {} succeeded in {} ms",
            t.label,
            t.correlationId,
            nanos / 1_000_000);
      } else {
        meters.attempt(LaneMeters.Outcome.FAILED, nanos);
        failed(t, failure, LaneMeters.Outcome.FAILED, "failed after " + nanos / 1_000_000 + " ms");
      }
      return true;
    } finally {
      Thread.interrupted(); // a stray interrupt from this task must not reach the next one
      MDC.remove("errand.task");
      MDC.remove("errand.request_id");
      if (worker != null) {
        worker.current = null;
      }
    }
  }

  /** On the timer thread: the attempt ran out of time. */
  private void timedOut(Attempt a) {
    if (!a.abandon()) {
      return;
    }
    LaneTask t = a.task;
    meters.attempt(LaneMeters.Outcome.TIMED_OUT, t.timeoutNanos);
    if (a.worker != null) {
      workers.remove(a.worker);
      a.worker.abandon();
    }
    a.thread.interrupt();
    failed(
        t,
        new TimeoutException("timed out after " + Duration.ofNanos(t.timeoutNanos)),
        LaneMeters.Outcome.TIMED_OUT,
        "timed out after "
            + Duration.ofNanos(t.timeoutNanos)
            + "; its thread "
            + a.thread.getName()
            + " was interrupted and abandoned, and the"
            + " request's next task starts on a fresh thread");
    if (a.worker != null && state != STOPPED) {
      startWorker(a.batch, true); // the fresh thread takes over this one's place in `busy`
      return;
    }
    if (a.batch.hasNext() && state != STOPPED) {
      submit(a.batch, false);
    }
    busy.decrementAndGet();
    signalDrain();
  }

  /** Retries {@code t} if it has attempts left, else counts and logs its failure once. */
  private void failed(LaneTask t, Throwable failure, LaneMeters.Outcome outcome, String what) {
    if (t.retriable() && state != STOPPED) {
      Duration wait = t.backoff.delay(t.attempt);
      log.debug(
          "errand: after-response task '{}' of request {} {} (attempt {}/{}); retrying in {}",
          t.label,
          t.correlationId,
          what,
          t.attempt,
          t.maxAttempts,
          wait,
          failure);
      LaneTask next = t.nextAttempt();
      retrying.add(next);
      meters.retried();
      try {
        timer.schedule(
            () -> {
              if (retrying.remove(next)) {
                submit(new LaneBatch(List.of(next)), false);
              }
              signalDrain();
            },
            wait.toNanos(),
            TimeUnit.NANOSECONDS);
        return;
      } catch (RejectedExecutionException e) {
        retrying.remove(next); // stopped meanwhile: the failure below is final
      }
    }
    meters.outcome(outcome, t.label);
    log.warn(
        "errand: after-response task '{}' of request {} {} (attempt {}/{})",
        t.label,
        t.correlationId,
        what,
        t.attempt,
        t.maxAttempts,
        outcome == LaneMeters.Outcome.TIMED_OUT ? null : failure);
  }

  // ------------------------------------------------------------------------------ shutdown

  private boolean idle() {
    return queue.isEmpty() && busy.get() == 0 && retrying.isEmpty();
  }

  private void signalDrain() {
    if (state != RUNNING) {
      synchronized (drain) {
        drain.notifyAll();
      }
    }
  }

  private ShutdownReport stop() {
    state = STOPPED;
    List<String> notStarted = new ArrayList<>();
    List<String> interrupted = new ArrayList<>();
    List<LaneBatch> left = new ArrayList<>();
    queue.drainTo(left);
    for (LaneBatch b : left) {
      b.cancel().forEach(t -> notStarted.add(t.label));
    }
    for (LaneTask t : retrying) {
      if (retrying.remove(t)) {
        notStarted.add(t.label);
      }
    }
    for (Worker w : workers) {
      Attempt a = w.current;
      if (a != null && a.abandon()) {
        interrupted.add(a.task.label);
        a.batch.cancel().forEach(t -> notStarted.add(t.label));
      }
      w.thread.interrupt();
    }
    timer.shutdownNow();
    long joinUntil = System.nanoTime() + Math.min(shutdownGrace.toNanos(), 1_000_000_000L);
    for (Worker w : workers) {
      try {
        w.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinUntil - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    for (String label; (label = droppedLate.poll()) != null; ) {
      notStarted.add(label);
    }
    notStarted.forEach(label -> meters.outcome(LaneMeters.Outcome.DROPPED, label));
    interrupted.forEach(label -> meters.outcome(LaneMeters.Outcome.DROPPED, label));
    ShutdownReport r = new ShutdownReport(shutdownGrace, notStarted, interrupted);
    if (r.drained()) {
      log.info("errand: after-response lane drained and stopped within {}", shutdownGrace);
    } else {
      log.warn(
          "errand: after-response lane stopped after its {} grace without running {} tasks:"
              + " interrupted {}, never started {}",
          shutdownGrace,
          notStarted.size() + interrupted.size(),
          interrupted,
          notStarted);
    }
    return r;
  }

  private static List<String> labels(List<LaneTask> tasks) {
    List<String> labels = new ArrayList<>(tasks.size());
    tasks.forEach(t -> labels.add(t.label));
    return labels;
  }

  // ------------------------------------------------------------------------------ threads

  /** One lane thread: takes a request's tasks from the queue and runs them. */
  private final class Worker implements Runnable {
    private LaneBatch first;
    private final boolean firstCounted;
    volatile Thread thread;
    volatile Attempt current;
    private boolean abandoned; // guarded by this
    private boolean exited; // guarded by this

    Worker(LaneBatch first, boolean firstCounted) {
      this.first = first;
      this.firstCounted = firstCounted;
    }

    @Override
    public void run() {
      try {
        LaneBatch b = first;
        boolean counted = firstCounted;
        first = null;
        while (true) {
          if (b == null) {
            if (state == STOPPED) {
              return;
            }
            try {
              b = queue.take();
            } catch (InterruptedException e) {
              continue; // stop() interrupts idle threads; otherwise a stray interrupt
            }
          }
          if (!runBatch(b, this, counted)) {
            return;
          }
          b = null;
          counted = false;
        }
      } catch (Throwable e) {
        log.error("errand: after-response thread {} failed; starting another", thread.getName(), e);
        if (state != STOPPED && workers.remove(this)) {
          startWorker(null, false);
        }
      } finally {
        workers.remove(this);
        synchronized (this) {
          exited = true;
          if (abandoned) {
            AfterResponseLane.this.abandoned.decrementAndGet();
          }
        }
      }
    }

    /** Counts this thread as abandoned until it exits (if it has not exited already). */
    synchronized void abandon() {
      if (!exited && !abandoned) {
        abandoned = true;
        AfterResponseLane.this.abandoned.incrementAndGet();
      }
    }
  }

  /** One attempt of one task on one thread; exactly one of finish and abandon wins. */
  private static final class Attempt {
    private static final int RUN = 0;
    private static final int DONE = 1;
    private static final int ABANDONED = 2;

    final LaneTask task;
    final LaneBatch batch;
    final Worker worker;
    final Thread thread;
    private final AtomicInteger state = new AtomicInteger(RUN);
    volatile Future<?> timeout;
    volatile java.util.concurrent.CompletableFuture<?> stage;

    Attempt(LaneTask task, LaneBatch batch, Worker worker, Thread thread) {
      this.task = task;
      this.batch = batch;
      this.worker = worker;
      this.thread = thread;
    }

    boolean finish() {
      return state.compareAndSet(RUN, DONE);
    }

    boolean abandon() {
      return state.compareAndSet(RUN, ABANDONED);
    }
  }

  // ------------------------------------------------------------------------------ builder

  /** Configures a lane; {@link #build()} validates and starts it. Not thread-safe. */
  public static final class Builder {
    /** Lane threads: 4. */
    public static final int DEFAULT_THREADS = 4;

    /** Requests that may wait for a thread: 1,024. */
    public static final int DEFAULT_QUEUE_CAPACITY = 1024;

    /** Tasks one request may add: 256. */
    public static final int DEFAULT_MAX_TASKS_PER_REQUEST = 256;

    /** {@link Saturation#WAIT}. */
    public static final Saturation DEFAULT_SATURATION = Saturation.WAIT;

    /** How long {@link Saturation#WAIT} waits for room: 1 s. */
    public static final Duration DEFAULT_WAIT_LIMIT = Duration.ofSeconds(1);

    /** Time limit of one attempt: 30 s. */
    public static final Duration DEFAULT_TASK_TIMEOUT = Duration.ofSeconds(30);

    /** How long shutdown waits for queued and running tasks: 10 s. */
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(10);

    private int threads = DEFAULT_THREADS;
    private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
    private int maxTasksPerRequest = DEFAULT_MAX_TASKS_PER_REQUEST;
    private Saturation saturation = DEFAULT_SATURATION;
    private Duration waitLimit = DEFAULT_WAIT_LIMIT;
    private Duration taskTimeout = DEFAULT_TASK_TIMEOUT;
    private Duration shutdownGrace = DEFAULT_SHUTDOWN_GRACE;
    private MeterRegistry registry;
    private boolean labelTags;
    private Errand errand;

    private Builder() {}

    /** Lane threads, each running one request's tasks at a time (default 4). */
    public Builder threads(int threads) {
      this.threads = threads;
      return this;
    }

    /** Requests whose tasks may wait for a thread before the saturation policy applies. */
    public Builder queueCapacity(int capacity) {
      this.queueCapacity = capacity;
      return this;
    }

    /** Tasks one request may add; more are rejected, counted and logged (default 256). */
    public Builder maxTasksPerRequest(int max) {
      this.maxTasksPerRequest = max;
      return this;
    }

    /** What a full queue does (default {@link Saturation#WAIT} up to 1 s). */
    public Builder saturation(Saturation policy) {
      this.saturation = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** Chooses {@link Saturation#WAIT} with this limit, after which the tasks are rejected. */
    public Builder waitUpTo(Duration limit) {
      this.saturation = Saturation.WAIT;
      this.waitLimit = Objects.requireNonNull(limit, "limit");
      return this;
    }

    /** Time limit of one attempt unless a task's {@link TaskOptions#timeout} says otherwise. */
    public Builder taskTimeout(Duration timeout) {
      this.taskTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** How long {@link AfterResponseLane#shutdown()} waits for tasks (default 10 s). */
    public Builder shutdownGrace(Duration grace) {
      this.shutdownGrace = Objects.requireNonNull(grace, "grace");
      return this;
    }

    /**
     * Whether {@code errand.after.tasks} also has a {@code label} tag, so that a dashboard or an
     * alert can tell which task fails (false). Turn it on only when the labels are a small fixed
     * set, such as one per kind of task; a label holding ids would create a meter per id.
     */
    public Builder labelTags(boolean enabled) {
      this.labelTags = enabled;
      return this;
    }

    /** Where the lane's meters go (default: the Errand's registry, else a private one). */
    public Builder meterRegistry(MeterRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry");
      return this;
    }

    /** The engine durable tasks ({@link AfterResponse#run(JobType, Object)}) are enqueued on. */
    public Builder errand(Errand errand) {
      this.errand = Objects.requireNonNull(errand, "errand");
      return this;
    }

    /**
     * Validates the configuration, starts the lane's threads and logs the effective configuration
     * once.
     *
     * @throws IllegalArgumentException naming the first bad value and what to use instead
     */
    public AfterResponseLane build() {
      positive("threads", threads, "e.g. 4");
      positive("queueCapacity", queueCapacity, "e.g. 1024");
      positive("maxTasksPerRequest", maxTasksPerRequest, "e.g. 256");
      positive("waitUpTo", waitLimit);
      positive("taskTimeout", taskTimeout);
      if (shutdownGrace.isNegative()) {
        throw new IllegalArgumentException(
            "shutdownGrace must be zero or positive, got "
                + shutdownGrace
                + "; zero stops at once and reports every queued task");
      }
      return new AfterResponseLane(this);
    }

    private static void positive(String name, int value, String hint) {
      if (value < 1) {
        throw new IllegalArgumentException(
            "after-response lane "
                + name
                + " must be at least 1, got "
                + value
                + " ("
                + hint
                + ")");
      }
    }

    private static void positive(String name, Duration value) {
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(
            "after-response lane "
                + name
                + " must be positive, got "
                + value
                + "; use e.g. Duration.ofSeconds(1)");
      }
    }
  }
}
