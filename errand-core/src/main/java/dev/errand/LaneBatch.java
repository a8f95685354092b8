package dev.errand;

import java.util.ArrayList;
import java.util.List;

/**
 * A request's tasks in the order they were added, with a cursor. Whichever thread runs the batch
 * takes tasks one at a time; when a task hangs, another thread continues from the cursor; at
 * shutdown the lane cancels what is left. Thread-safe (guarded by {@code this}).
 */
final class LaneBatch {
  private final List<LaneTask> tasks;
  private int next;
  private boolean cancelled;

  LaneBatch(List<LaneTask> tasks) {
    this.tasks = tasks;
  }

  /** The next task to run, or null if none is left or the batch was cancelled. */
  synchronized LaneTask take() {
    return cancelled || next >= tasks.size() ? null : tasks.get(next++);
  }

  /** Stops the batch and returns the tasks that were not taken. */
  synchronized List<LaneTask> cancel() {
    cancelled = true;
    List<LaneTask> rest = new ArrayList<>(tasks.subList(next, tasks.size()));
    next = tasks.size();
    return rest;
  }

  synchronized boolean hasNext() {
    return !cancelled && next < tasks.size();
  }

  /** The labels of the tasks not yet taken, for logs. */
  synchronized List<String> remainingLabels() {
    List<String> labels = new ArrayList<>(tasks.size() - next);
    for (int i = next; i < tasks.size(); i++) {
      labels.add(tasks.get(i).label);
    }
    return labels;
  }

  /** The request these tasks came from (every task of a batch shares it). */
  String correlationId() {
    return tasks.isEmpty() ? null : tasks.get(0).correlationId;
  }
}
