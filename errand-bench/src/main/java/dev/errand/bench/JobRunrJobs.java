package dev.errand.bench;

/**
 * The job JobRunr runs: JobRunr stores a method call (class, method, arguments) analysed from the
 * enqueue lambda and calls it again on a worker, so the handler is a public static method.
 */
public final class JobRunrJobs {
  private JobRunrJobs() {}

  /** The no-op job: reports its start and returns. */
  public static void noop(long seq, long enqueuedMicros) {
    Probe.current().started(seq);
  }
}
