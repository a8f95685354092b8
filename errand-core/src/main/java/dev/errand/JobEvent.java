package dev.errand;

import java.time.Instant;

/**
 * A state change of a job, as seen by this engine. Delivered to {@link JobEventListener}s on the
 * engine's event thread, in the order this engine saw them.
 *
 * @param kind what happened
 * @param jobId the job
 * @param type its type
 * @param queue its queue
 * @param attempt the attempt concerned (0 before the first run)
 * @param at when the engine saw it
 * @param nodeId the node that saw it
 * @param error the error message for failures, or null
 */
public record JobEvent(
    Kind kind,
    long jobId,
    String type,
    String queue,
    int attempt,
    Instant at,
    String nodeId,
    String error) {

  /** What happened to the job. */
  public enum Kind {
    /** Stored by this engine. */
    ENQUEUED,
    /** An attempt began on this node. */
    STARTED,
    /** The handler returned; the job is final. */
    SUCCEEDED,
    /** An attempt failed and the job waits for its backoff (RETRYING). */
    RETRY_SCHEDULED,
    /** The job was dead-lettered to FAILED. */
    FAILED,
    /** The handler asked to run again later without spending the attempt. */
    SNOOZED,
    /** Shutdown handed the job back without spending its attempt. */
    RELEASED,
    /** Its lease had expired; the rescuer spent the attempt and made it due again (or FAILED). */
    RESCUED,
    /** Cancelled by a user. */
    CANCELLED,
    /** Retried by hand from FAILED or CANCELLED. */
    RETRIED,
    /** Deleted by a user. */
    DELETED,
    /** This worker's write was rejected because another claim or a cancel superseded it. */
    LEASE_LOST
  }
}
