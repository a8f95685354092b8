package dev.errand;

import dev.errand.spi.ClaimedJob;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One claimed attempt held by this engine, from claim until its outcome is written. The handler's
 * thread writes the outcome fields; the heartbeat, timeout and shutdown threads only set {@link
 * #stopReason} and interrupt. {@link #settled} makes sure exactly one outcome is submitted.
 */
final class Execution implements JobContext {
  enum Stop {
    TIMEOUT,
    SHUTDOWN,
    LEASE_LOST
  }

  final Errand errand;
  final ClaimedJob claim;
  final Job job;
  final JobType<?> type;
  final QueueWorker worker;
  final long claimedNanos = System.nanoTime();
  final AtomicBoolean settled = new AtomicBoolean();

  private Thread thread; // guarded by this
  volatile Stop stopReason;
  volatile Integer progress;
  volatile ScheduledFuture<?> timeoutTask;

  // Written and read on the handler thread only.
  Duration snooze;
  String resultJson;
  boolean completedInTransaction;

  Execution(Errand errand, ClaimedJob claim, JobType<?> type, QueueWorker worker) {
    this.errand = errand;
    this.claim = claim;
    this.job = claim.job();
    this.type = type;
    this.worker = worker;
  }

  long fence() {
    return claim.fence();
  }

  /** Asks the handler to stop for {@code reason} unless another reason came first. */
  synchronized void stop(Stop reason) {
    if (stopReason == null) {
      stopReason = reason;
    }
    if (thread != null) {
      thread.interrupt();
    }
  }

  /** Binds the attempt to the calling handler thread. */
  synchronized void attach() {
    thread = Thread.currentThread();
  }

  /**
   * Unbinds the handler thread and clears its interrupt flag. Synchronized with {@link #stop}, so a
   * late timeout or lease loss can never interrupt the thread's next job.
   */
  synchronized void detach() {
    thread = null;
    Thread.interrupted();
  }

  @Override
  public long jobId() {
    return job.id();
  }

  @Override
  public String type() {
    return job.type();
  }

  @Override
  public String queue() {
    return job.queue();
  }

  @Override
  public int attempt() {
    return job.attempt();
  }

  @Override
  public int maxAttempts() {
    return job.maxAttempts();
  }

  @Override
  public Set<String> tags() {
    return job.tags();
  }

  @Override
  public String nodeId() {
    return errand.nodeId();
  }

  @Override
  public void progress(int percent) {
    if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException("progress must be between 0 and 100, got " + percent);
    }
    progress = percent;
  }

  @Override
  public void result(Object value) {
    if (completedInTransaction) {
      throw new IllegalStateException(
          "job "
              + job.id()
              + " was already marked SUCCEEDED by ctx.inTransaction, so a result set now would be"
              + " lost; call ctx.result inside the transaction's work, or before it");
    }
    resultJson = value == null ? null : errand.toJson(value, "result of job " + job.id());
  }

  @Override
  public void snooze(Duration delay) {
    if (delay == null || delay.isNegative()) {
      throw new IllegalArgumentException("snooze delay must be zero or positive, got " + delay);
    }
    snooze = delay;
  }

  @Override
  public <R> R inTransaction(TransactionWork<R> work) throws Exception {
    if (!errand.store().supportsTransactions()) {
      throw new IllegalStateException(
          errand.store().getClass().getSimpleName()
              + " has no database transactions;"
              + " ctx.inTransaction needs SqliteJobStore or PostgresJobStore");
    }
    if (completedInTransaction) {
      throw new IllegalStateException(
          "job " + job.id() + " was already completed in a transaction");
    }
    R r = errand.store().completeInTransaction(job.id(), fence(), work, () -> resultJson);
    completedInTransaction = true;
    return r;
  }

  @Override
  public boolean isStopRequested() {
    return stopReason != null;
  }
}
