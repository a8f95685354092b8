package dev.errand.web;

import java.util.Locale;

/**
 * What an API key may do. {@link #ADMIN} implies the other two; {@link #READ} and {@link #ENQUEUE}
 * are independent, so a producer's key can enqueue without reading other jobs' payloads.
 */
public enum Scope {
  /** Every GET: jobs, schedules, queues, nodes, stats, event streams, health, metrics. */
  READ,
  /**
   * Enqueueing jobs of remotely enqueueable types ({@code POST /api/jobs}, {@code
   * /api/jobs/batch}).
   */
  ENQUEUE,
  /** Everything: retry, cancel, delete, bulk operations, schedules, queue pause and resume. */
  ADMIN;

  /** True if a key with this scope may do what {@code needed} allows. */
  boolean covers(Scope needed) {
    return this == ADMIN || this == needed;
  }

  /** The lower-case name used in the API's messages. */
  String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
