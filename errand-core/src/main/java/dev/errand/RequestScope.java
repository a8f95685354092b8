package dev.errand;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * The after-response tasks of one request, collected while it is handled and handed to the {@link
 * AfterResponseLane} once its response is complete. This is the seam integrations use (the
 * errand-servlet filter, the errand-javalin plugin, the Spring interceptor):
 *
 * <pre>{@code
 * RequestScope scope = lane.openScope(request.getHeader("X-Request-Id"));
 * try (RequestScope.Binding b = scope.bind()) {
 *   handle(request, response);          // AfterResponse.run(...) adds to this scope
 * } catch (RuntimeException e) {
 *   scope.discard(e);                   // the handler failed: its tasks do not run
 *   throw e;
 * }
 * finishResponse(response);             // the client has every byte
 * scope.complete();                     // now the tasks start, in order, on lane threads
 * }</pre>
 *
 * <p>Thread-safe: tasks may be added from any thread (asynchronous handlers add through {@link
 * #add} directly, or bind the scope on their own thread). Once the scope is completed or discarded,
 * a task added to it runs on the next tick, as outside a request.
 */
public final class RequestScope {
  private static final ThreadLocal<RequestScope> CURRENT = new ThreadLocal<>();

  private final AfterResponseLane lane;
  private final String correlationId;
  private List<LaneTask> tasks = new ArrayList<>(4); // guarded by this; null once closed
  private boolean overLimitLogged; // guarded by this

  RequestScope(AfterResponseLane lane, String correlationId) {
    this.lane = lane;
    this.correlationId = correlationId;
  }

  /** The scope bound to the calling thread, if any. */
  public static Optional<RequestScope> current() {
    return Optional.ofNullable(CURRENT.get());
  }

  static RequestScope currentOrNull() {
    return CURRENT.get();
  }

  /** The request's correlation id, as it appears in the lane's log lines and MDC. */
  public String correlationId() {
    return correlationId;
  }

  /** The lane this scope hands its tasks to. */
  public AfterResponseLane lane() {
    return lane;
  }

  /**
   * Makes this the calling thread's current scope until the binding is closed, which restores the
   * previous one. Close it on the same thread.
   */
  public Binding bind() {
    RequestScope previous = CURRENT.get();
    CURRENT.set(this);
    return new Binding(this, previous);
  }

  /** Adds a task to run after the response, with the lane's defaults. */
  public void add(String label, Runnable task) {
    addWork(label, TaskOptions.defaults(), task);
  }

  /** Adds a task to run after the response, with its own time limit or retries. */
  public void add(String label, TaskOptions options, Runnable task) {
    addWork(label, options, task);
  }

  /**
   * Adds a task to run after the response. If {@code task} returns a {@link
   * java.util.concurrent.CompletionStage}, the task is finished when the stage is, and a failed
   * stage is a failure.
   *
   * @throws IllegalArgumentException if the label is blank or longer than 200 characters
   */
  public void add(String label, TaskOptions options, Callable<?> task) {
    addWork(label, options, task);
  }

  /** {@code task} is a Runnable or a Callable. */
  void addWork(String label, TaskOptions options, Object task) {
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(task, "task");
    LaneTask t = lane.task(AfterResponse.requireLabel(label), correlationId, options, task);
    synchronized (this) {
      if (tasks != null) {
        if (tasks.size() < lane.maxTasksPerRequest()) {
          tasks.add(t);
        } else if (!overLimitLogged) {
          overLimitLogged = true;
          lane.rejectedOverLimit(correlationId, label);
        } else {
          lane.rejectedQuietly(label);
        }
        return;
      }
    }
    lane.submit(List.of(t));
  }

  /** Tasks collected so far (0 once the scope is completed or discarded). */
  public synchronized int size() {
    return tasks == null ? 0 : tasks.size();
  }

  /**
   * Hands the collected tasks to the lane. Call once the response is complete (the client has every
   * byte). Idempotent; the calling thread may run the tasks itself only under {@link
   * Saturation#CALLER_RUNS}.
   */
  public void complete() {
    List<LaneTask> collected = close();
    if (collected != null) {
      lane.submit(collected);
    }
  }

  /**
   * Drops the collected tasks without running them, because the request failed (its handler threw);
   * they are counted (outcome {@code discarded}) and logged once at INFO. Idempotent; no effect
   * after {@link #complete()}.
   */
  public void discard(Throwable cause) {
    List<LaneTask> collected = close();
    if (collected != null) {
      lane.discarded(correlationId, collected, cause);
    }
  }

  private synchronized List<LaneTask> close() {
    List<LaneTask> collected = tasks;
    tasks = null;
    return collected;
  }

  @Override
  public String toString() {
    return "RequestScope{" + correlationId + ", tasks=" + size() + "}";
  }

  /** The binding of a scope to a thread; {@link #close()} restores the thread's previous scope. */
  public static final class Binding implements AutoCloseable {
    private final RequestScope scope;
    private final RequestScope previous;

    private Binding(RequestScope scope, RequestScope previous) {
      this.scope = scope;
      this.previous = previous;
    }

    /** The bound scope. */
    public RequestScope scope() {
      return scope;
    }

    @Override
    public void close() {
      if (previous == null) {
        CURRENT.remove();
      } else {
        CURRENT.set(previous);
      }
    }
  }
}
