package dev.errand;

/**
 * What {@link AfterResponseLane} does with a request's tasks when its queue is full. Whatever the
 * policy, every time the queue is found full is counted ({@code errand.after.saturated}, tagged by
 * policy) and every task that is not run is counted ({@code errand.after.tasks}, outcome {@code
 * rejected}) and logged with its label.
 */
public enum Saturation {
  /**
   * The thread that completes the request waits up to the lane's wait limit for room, then rejects.
   * The client already has its response; only the server thread waits. The default.
   */
  WAIT,
  /**
   * The thread that completes the request runs the tasks itself, after the response is complete.
   * Nothing is lost, and a saturated lane slows the server's intake instead of growing a backlog.
   * Outside a request this means the caller runs the task at once.
   */
  CALLER_RUNS,
  /** Rejects at once: the tasks are not run. */
  REJECT
}
