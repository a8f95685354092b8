package dev.errand.examples.recurring;

import dev.errand.Schedule;
import dev.errand.examples.ApiError;
import dev.errand.examples.ExampleDatabase;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * 003's "Tasks Worker": what happens to a series when its original is created, when one of its
 * tasks is completed and when its original is deleted, and orphan cleanup. Every operation is one
 * transaction (no partial series) and idempotent (occurrences are unique per series and due date),
 * so a trigger delivered twice, or retried after a timeout whose work did commit, changes nothing
 * the second time.
 *
 * <p>Errors a retry cannot fix (missing task, wrong kind of task) are {@link ApiError}s with a 4xx
 * status, which the trigger treats as permanent.
 */
final class TasksWorker {
  private final ExampleDatabase db;
  private final Clock clock;

  TasksWorker(ExampleDatabase db, Clock clock) {
    this.db = db;
    this.clock = clock;
  }

  /** Materializes the 3 occurrences after the original's due date; returns them. */
  List<Task> processTaskCreation(long taskId) {
    return db.inTransaction(
        c -> {
          Task original = original(Tasks.find(c, taskId), taskId);
          Instant now = clock.instant();
          List<Task> result = new ArrayList<>();
          for (Instant due :
              RecurrenceEngine.nextOccurrences(
                  Schedule.parse(original.recurrence()), original.due())) {
            Optional<Long> created = Tasks.insertOccurrence(c, original, due, now);
            if (created.isPresent()) {
              Tasks.activity(
                  c,
                  created.get(),
                  original.userId(),
                  "recurring_instance_created",
                  "from task " + original.id() + ", due " + Task.iso(due),
                  now);
            }
            result.add(Tasks.occurrenceAt(c, original.numericId(), due).orElseThrow());
          }
          return result;
        });
  }

  /**
   * After a task of a series was completed: links the next open occurrence to the original and tops
   * the series up so the 3 occurrences after the completed one exist.
   */
  Map<String, Object> processTaskCompletion(long taskId) {
    return db.inTransaction(
        c -> {
          Task done =
              Tasks.find(c, taskId)
                  .orElseThrow(() -> ApiError.notFound("Task " + taskId + " not found"));
          if (!done.completed()) {
            throw new ApiError(409, "Conflict", "Task " + taskId + " is not completed");
          }
          long originalId =
              done.parentRecurringId() != null ? Long.parseLong(done.parentRecurringId()) : taskId;
          Task original = original(Tasks.find(c, originalId), originalId);
          Instant now = clock.instant();
          Tasks.activity(c, taskId, done.userId(), "completed", null, now);
          List<Task> created = new ArrayList<>();
          for (Instant due :
              RecurrenceEngine.nextOccurrences(Schedule.parse(original.recurrence()), done.due())) {
            Optional<Long> id = Tasks.insertOccurrence(c, original, due, now);
            if (id.isPresent()) {
              Tasks.activity(
                  c,
                  id.get(),
                  original.userId(),
                  "recurring_instance_created",
                  "after completion of task " + taskId + ", due " + Task.iso(due),
                  now);
              created.add(Tasks.find(c, id.get()).orElseThrow());
            }
          }
          Task next =
              Tasks.occurrences(c, originalId).stream()
                  .filter(t -> !t.completed() && t.due().isAfter(done.due()))
                  .findFirst()
                  .orElse(null);
          if (next != null) {
            ExampleDatabase.update(
                c,
                "UPDATE tasks SET parent_recurring_id = ? WHERE id = ?",
                originalId,
                next.numericId());
          }
          Map<String, Object> result = new LinkedHashMap<>();
          result.put("completedTaskId", done.id());
          result.put("nextOccurrence", next);
          result.put("created", created);
          return result;
        });
  }

  /** Deletes every occurrence of the deleted original {@code taskId} owned by {@code userId}. */
  int processTaskDeletion(long taskId, String userId) {
    return db.inTransaction(
        c -> {
          int deleted = Tasks.deleteOccurrences(c, taskId, userId);
          Tasks.activity(
              c, taskId, userId, "cascade_deleted", deleted + " instances", clock.instant());
          return deleted;
        });
  }

  /** Deletes occurrences whose original no longer exists; returns how many. */
  int cleanupOrphanedRecurringTasks() {
    return db.inTransaction(Tasks::deleteOrphans);
  }

  /**
   * Weekly consistency check: every open series gets the 3 occurrences after its latest completed
   * task (or after its original) back if some are missing; returns how many were created.
   */
  int validateRecurringTaskConsistency() {
    return db.inTransaction(
        c -> {
          int created = 0;
          Instant now = clock.instant();
          List<Task> originals =
              ExampleDatabase.query(
                  c,
                  "SELECT "
                      + Task.COLUMNS
                      + " FROM tasks"
                      + " WHERE parent_recurring_id IS NULL AND recurrence IS NOT NULL ORDER BY id",
                  Task::of);
          for (Task original : originals) {
            Instant from = original.due();
            for (Task t : Tasks.occurrences(c, original.numericId())) {
              if (t.completed() && t.due().isAfter(from)) {
                from = t.due();
              }
            }
            for (Instant due :
                RecurrenceEngine.nextOccurrences(Schedule.parse(original.recurrence()), from)) {
              Optional<Long> id = Tasks.insertOccurrence(c, original, due, now);
              if (id.isPresent()) {
                Tasks.activity(
                    c,
                    id.get(),
                    original.userId(),
                    "recurring_instance_created",
                    "consistency check, due " + Task.iso(due),
                    now);
                created++;
              }
            }
          }
          return created;
        });
  }

  private static Task original(Optional<Task> found, long id) {
    Task t = found.orElseThrow(() -> ApiError.notFound("Task " + id + " not found"));
    if (!t.isRecurringOriginal()) {
      throw new ApiError(
          422,
          "NotRecurring",
          "Task "
              + id
              + " is not an original recurring task"
              + (t.parentRecurringId() != null
                  ? " (it is an instance of task " + t.parentRecurringId() + ")"
                  : ""));
    }
    return t;
  }
}
