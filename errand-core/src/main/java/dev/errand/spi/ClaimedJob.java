package dev.errand.spi;

import dev.errand.Job;

/**
 * A job a worker has just claimed: the job as it is now RUNNING (attempt already counted) and the
 * fencing token every later write about this run must carry.
 *
 * @param job the claimed job
 * @param fence increases on every claim of this job; a write carrying an older value is rejected
 */
public record ClaimedJob(Job job, long fence) {}
