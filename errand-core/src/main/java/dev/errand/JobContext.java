package dev.errand;

import java.time.Duration;
import java.util.Set;

/**
 * What a running handler knows about its job and how it talks back. One instance per attempt, used
 * only from the handler's thread (progress may be set from any thread).
 */
public interface JobContext {
  /** The job's id. */
  long jobId();

  /** The job's type name. */
  String type();

  /** The queue the job runs on. */
  String queue();

  /** This attempt's number, 1 for the first run. */
  int attempt();

  /** Attempts allowed in all; after a failed last attempt the job is FAILED. */
  int maxAttempts();

  /** The tags given at enqueue. */
  Set<String> tags();

  /** The node running the job. */
  String nodeId();

  /**
   * Reports progress in percent; stored with the next lease heartbeat.
   *
   * @throws IllegalArgumentException unless {@code 0 <= percent <= 100}
   */
  void progress(int percent);

  /**
   * Sets a small result stored with the job on success (mapped to JSON with the engine's mapper).
   * With {@link #inTransaction}, set it before the transaction or inside its work: the result in
   * place when the work returns is committed with the job's success.
   *
   * @throws IllegalArgumentException if the value cannot be mapped to JSON
   * @throws IllegalStateException if {@link #inTransaction} already marked the job SUCCEEDED
   */
  void result(Object value);

  /**
   * Asks to run this job again after {@code delay} without spending an attempt. Takes effect when
   * the handler returns normally; a handler that throws afterwards fails as usual.
   *
   * @throws IllegalArgumentException if {@code delay} is negative
   */
  void snooze(Duration delay);

  /**
   * Runs {@code work} in one database transaction that also marks this job SUCCEEDED, so its
   * effects are committed exactly once even though the job may be delivered more than once: if this
   * worker's lease was lost (another worker has the job now), the transaction rolls back and a
   * {@link LeaseLostException} is thrown. A {@link #result} set inside the work is stored with the
   * success. After it returns, the handler should return too.
   *
   * @throws IllegalStateException if the store has no database transactions (the memory store)
   */
  <R> R inTransaction(TransactionWork<R> work) throws Exception;

  /** True once Errand wants this attempt to stop (timeout, shutdown, lost lease). */
  boolean isStopRequested();
}
