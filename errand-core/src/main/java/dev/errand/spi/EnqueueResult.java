package dev.errand.spi;

/**
 * What a store did with one {@link NewJob}.
 *
 * @param id the id of the stored job: the new one, or the live job holding the same unique key
 * @param created false when an existing live job with the same unique key was returned instead
 */
public record EnqueueResult(long id, boolean created) {}
