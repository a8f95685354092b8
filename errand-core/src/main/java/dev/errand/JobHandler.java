package dev.errand;

/**
 * The code that runs a job. Called on a worker thread (a virtual thread when the JVM has them),
 * once per attempt; delivery is at least once, so make it idempotent or use {@link
 * JobContext#inTransaction}.
 *
 * <p>Return normally for success. Throw anything for a failed attempt that will be retried with
 * backoff; throw {@link PermanentFailure} (or an exception listed in {@link JobType#permanentOn})
 * to fail at once. Respond to interruption: Errand interrupts the thread on timeout, on shutdown
 * and when the job's lease was lost.
 *
 * @param <T> the payload type
 */
@FunctionalInterface
public interface JobHandler<T> {
  /**
   * Runs one attempt.
   *
   * @param ctx this attempt's context
   * @param payload the job's payload, mapped from its stored JSON
   * @throws Exception to fail the attempt
   */
  void handle(JobContext ctx, T payload) throws Exception;
}
