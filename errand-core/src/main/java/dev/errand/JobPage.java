package dev.errand;

import java.util.List;

/**
 * One page of jobs, newest first.
 *
 * @param jobs the jobs
 * @param nextCursor pass to {@link JobQuery#before} for the next page; null on the last page
 */
public record JobPage(List<Job> jobs, Long nextCursor) {
  public JobPage {
    jobs = List.copyOf(jobs);
  }
}
