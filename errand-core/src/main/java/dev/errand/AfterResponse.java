package dev.errand;

import java.sql.Connection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * Runs work after the response: the call sites of the after-response lane.
 *
 * <pre>{@code
 * AfterResponse.run("invalidate-task-cache", () -> cache.invalidate(taskId));
 * AfterResponse.run("broadcast-new-task", () -> sockets.broadcastAsync(task));   // a CompletionStage
 * AfterResponse.run(sendWelcomeEmail, new Email(user.email()));                  // durable
 * }</pre>
 *
 * <p><b>Inside a request</b> (a {@link RequestScope} is bound to the calling thread, as the
 * errand-servlet filter and the errand-javalin plugin do) a best-effort task is added to the
 * request's list; the list runs once the response is complete, in the order added, each task
 * isolated from the others and from the request (see {@link AfterResponseLane} for the guarantees,
 * the hang bound and the saturation policies). <b>Outside a request</b> the task is queued at once
 * on the {@linkplain #install installed} lane and runs on the next free lane thread: the caller
 * never runs it (unless the lane's policy is {@link Saturation#CALLER_RUNS} and the lane is full).
 *
 * <p><b>Durable</b> tasks ({@link #run(JobType, Object)}) are not kept in memory: the job row is
 * written before the call returns, so before the response is sent, and the job survives a crash. It
 * runs on an Errand worker, at least once, with the type's retries and dead letter.
 *
 * <p>All methods may be called from any thread; none blocks on the lane (only a durable call waits
 * for its store write).
 */
public final class AfterResponse {
  private static volatile AfterResponseLane installed;

  private AfterResponse() {}

  /**
   * Runs {@code task} after the response (inside a request) or on the next tick (outside).
   *
   * @param label names the task in logs and reports: 1–200 characters
   * @throws IllegalStateException outside a request when no lane is installed
   */
  public static void run(String label, Runnable task) {
    add(label, TaskOptions.defaults(), task);
  }

  /**
   * Like {@link #run(String, Runnable)} for a task that returns a value. If the value is a {@link
   * java.util.concurrent.CompletionStage}, the task is finished when the stage completes (within
   * the task's time limit) and a failed stage counts as a failure.
   */
  public static void run(String label, Callable<?> task) {
    add(label, TaskOptions.defaults(), task);
  }

  /** Like {@link #run(String, Runnable)} with a time limit or retries of this task's own. */
  public static void run(String label, TaskOptions options, Runnable task) {
    add(label, options, task);
  }

  /** Like {@link #run(String, Callable)} with a time limit or retries of this task's own. */
  public static void run(String label, TaskOptions options, Callable<?> task) {
    add(label, options, task);
  }

  /** {@code task} is a Runnable or a Callable. */
  private static void add(String label, TaskOptions options, Object task) {
    RequestScope scope = RequestScope.currentOrNull();
    if (scope != null) {
      scope.addWork(label, options, task);
      return;
    }
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(task, "task");
    AfterResponseLane lane = lane();
    lane.submit(List.of(lane.task(requireLabel(label), null, options, task)));
  }

  /**
   * Durable: enqueues a job of {@code type} now, before the response is sent, on the lane's Errand,
   * so that it survives a crash. Same as {@code errand.enqueue(type, payload)}; the job may start
   * before the response is complete (delay it with {@link #run(JobType, Object, Enqueue)} and
   * {@link Enqueue#after} if it must not).
   *
   * @throws IllegalStateException if the lane has no Errand, or outside a request with no lane
   *     installed
   * @throws IllegalArgumentException as {@link Errand#enqueue(JobType, Object, Enqueue)} does
   */
  public static <T> JobHandle run(JobType<T> type, T payload) {
    return run(type, payload, Enqueue.now());
  }

  /** Durable, with per-enqueue options (delay, unique key, queue, priority). */
  public static <T> JobHandle run(JobType<T> type, T payload, Enqueue options) {
    return errand().enqueue(type, payload, options);
  }

  /**
   * Durable inside the caller's transaction: the job exists if and only if the transaction on
   * {@code connection} commits. Errand never commits, rolls back or closes it.
   */
  public static <T> JobHandle run(
      Connection connection, JobType<T> type, T payload, Enqueue options) {
    return errand().enqueue(connection, type, payload, options);
  }

  /** True if a request scope is bound to the calling thread. */
  public static boolean inRequest() {
    return RequestScope.currentOrNull() != null;
  }

  /**
   * Makes {@code lane} the one used outside requests (and by durable calls outside requests);
   * returns the one installed before, if any. The errand-servlet filter and errand-javalin plugin
   * install theirs when none is installed. A lane uninstalls itself when it shuts down.
   */
  public static Optional<AfterResponseLane> install(AfterResponseLane lane) {
    Objects.requireNonNull(lane, "lane");
    synchronized (AfterResponse.class) {
      AfterResponseLane previous = installed;
      installed = lane;
      return Optional.ofNullable(previous);
    }
  }

  /** Installs {@code lane} unless one is installed already; true if it was installed. */
  public static boolean installIfAbsent(AfterResponseLane lane) {
    Objects.requireNonNull(lane, "lane");
    synchronized (AfterResponse.class) {
      if (installed != null) {
        return false;
      }
      installed = lane;
      return true;
    }
  }

  /** The lane used outside requests, if one is installed. */
  public static Optional<AfterResponseLane> installed() {
    return Optional.ofNullable(installed);
  }

  static void uninstall(AfterResponseLane lane) {
    synchronized (AfterResponse.class) {
      if (installed == lane) {
        installed = null;
      }
    }
  }

  static String requireLabel(String label) {
    if (label == null || label.isBlank() || label.length() > 200) {
      throw new IllegalArgumentException(
          "after-response task label must be 1-200 non-blank"
              + " characters, got "
              + (label == null ? "null" : "'" + label + "'")
              + "; name what the task does, e.g. \"invalidate-task-cache\"");
    }
    return label;
  }

  private static AfterResponseLane lane() {
    RequestScope scope = RequestScope.currentOrNull();
    if (scope != null) {
      return scope.lane();
    }
    AfterResponseLane lane = installed;
    if (lane == null) {
      throw new IllegalStateException(
          "AfterResponse.run was called outside a request and no"
              + " after-response lane is installed: call AfterResponse.install(AfterResponseLane"
              + ".builder().build()) at startup, or add the errand-servlet filter / errand-javalin"
              + " plugin, which install theirs");
    }
    return lane;
  }

  private static Errand errand() {
    AfterResponseLane lane = lane();
    return lane.errand()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "durable after-response"
                        + " tasks need an Errand: build the lane with AfterResponseLane.builder().errand(errand)"
                        + " ("
                        + lane
                        + ")"));
  }
}
