package dev.errand;

import java.time.Duration;
import java.util.List;

/**
 * What {@link AfterResponseLane#shutdown()} could and could not run within its grace period.
 *
 * @param grace the grace period the lane waited at most
 * @param notStarted labels of tasks that were still queued (or waiting to retry) at the end of the
 *     grace period and were dropped, in queue order
 * @param interrupted labels of tasks that were running at the end of the grace period; their
 *     threads were interrupted
 */
public record ShutdownReport(Duration grace, List<String> notStarted, List<String> interrupted) {
  /** Copies the lists. */
  public ShutdownReport {
    notStarted = List.copyOf(notStarted);
    interrupted = List.copyOf(interrupted);
  }

  /** True if every accepted task finished before the grace period ran out. */
  public boolean drained() {
    return notStarted.isEmpty() && interrupted.isEmpty();
  }
}
