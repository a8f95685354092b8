package dev.errand.spi;

/**
 * A lease a worker believes it holds.
 *
 * @param id job id
 * @param fence the fence returned by the claim
 * @param progress progress to store with the heartbeat, or null to leave it
 */
public record LeaseRef(long id, long fence, Integer progress) {}
