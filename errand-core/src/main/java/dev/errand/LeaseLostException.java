package dev.errand;

/**
 * This worker no longer holds the job's lease (it was rescued after the lease expired, or
 * cancelled), so its write was rejected. The job is, or will be, run by another attempt.
 */
public class LeaseLostException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final long jobId;

  /** A lost lease of job {@code jobId}, described by {@code message}. */
  public LeaseLostException(long jobId, String message) {
    super(message);
    this.jobId = jobId;
  }

  /** The job whose lease was lost. */
  public long jobId() {
    return jobId;
  }
}
