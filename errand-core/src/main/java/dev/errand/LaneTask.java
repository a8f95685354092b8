package dev.errand;

import java.util.concurrent.Callable;

/**
 * One attempt's worth of an after-response task: what to run, under which label and request, and
 * with which limits. Immutable; a retry is a new instance ({@link #nextAttempt()}).
 */
final class LaneTask {
  final String label;
  final String correlationId;

  /** A {@link Runnable} or a {@link Callable}, kept as given so that adding one allocates less. */
  private final Object work;

  final long timeoutNanos;
  final int attempt;
  final int maxAttempts;
  final Backoff backoff;

  LaneTask(
      String label,
      String correlationId,
      Object work,
      long timeoutNanos,
      int attempt,
      int maxAttempts,
      Backoff backoff) {
    this.label = label;
    this.correlationId = correlationId;
    this.work = work;
    this.timeoutNanos = timeoutNanos;
    this.attempt = attempt;
    this.maxAttempts = maxAttempts;
    this.backoff = backoff;
  }

  /** Runs the work; a Runnable's value is null. */
  Object call() throws Exception {
    if (work instanceof Callable) {
      return ((Callable<?>) work).call();
    }
    ((Runnable) work).run();
    return null;
  }

  boolean retriable() {
    return attempt < maxAttempts;
  }

  LaneTask nextAttempt() {
    return new LaneTask(
        label, correlationId, work, timeoutNanos, attempt + 1, maxAttempts, backoff);
  }
}
