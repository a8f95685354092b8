package dev.errand;

import java.util.concurrent.Callable;

/**
 * One attempt's worth of an after-response task: what to run, under which label and request, and
 * with which limits. Immutable; a retry is a new instance ({@link #nextAttempt()}).
 */
final class LaneTask {
  final String label;
  final String correlationId;
  final Callable<?> work;
  final long timeoutNanos;
  final int attempt;
  final int maxAttempts;
  final Backoff backoff;

  LaneTask(String label, String correlationId, Callable<?> work, long timeoutNanos, int attempt,
      int maxAttempts, Backoff backoff) {
    this.label = label;
    this.correlationId = correlationId;
    this.work = work;
    this.timeoutNanos = timeoutNanos;
    this.attempt = attempt;
    this.maxAttempts = maxAttempts;
    this.backoff = backoff;
  }

  boolean retriable() {
    return attempt < maxAttempts;
  }

  LaneTask nextAttempt() {
    return new LaneTask(label, correlationId, work, timeoutNanos, attempt + 1, maxAttempts, backoff);
  }
}
