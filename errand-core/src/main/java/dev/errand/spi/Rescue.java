package dev.errand.spi;

import dev.errand.JobState;

/**
 * A RUNNING job whose lease had expired, as the rescuer left it.
 *
 * @param id job id
 * @param type job type
 * @param queue queue
 * @param attempt the attempt that was running (it is spent)
 * @param state RETRYING (due at once), or FAILED when attempts ran out or it was quarantined
 * @param nodeId the node that held the expired lease
 * @param quarantined true if it went to FAILED because it was rescued too many times
 */
public record Rescue(
    long id,
    String type,
    String queue,
    int attempt,
    JobState state,
    String nodeId,
    boolean quarantined) {}
