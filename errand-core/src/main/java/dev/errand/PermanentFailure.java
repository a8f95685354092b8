package dev.errand;

/**
 * Thrown by a handler to fail its job at once, without further attempts: the job goes straight to
 * {@link JobState#FAILED}. Use it for errors a retry cannot fix (bad input, a deleted record).
 * Exception classes listed with {@link JobType#permanentOn} have the same effect.
 */
public class PermanentFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A permanent failure described by {@code message}, stored as the job's last error. */
  public PermanentFailure(String message) {
    super(message);
  }

  /** A permanent failure with its cause. */
  public PermanentFailure(String message, Throwable cause) {
    super(message, cause);
  }
}
