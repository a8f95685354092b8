package dev.errand.examples.recurring;

import static dev.errand.examples.ExampleDatabase.insert;
import static dev.errand.examples.ExampleDatabase.query;
import static dev.errand.examples.ExampleDatabase.queryOne;
import static dev.errand.examples.ExampleDatabase.update;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The SQL of the tasks and task_activity tables. Every method runs on the caller's connection. */
final class Tasks {
  static final String SCHEMA =
      """
      CREATE TABLE IF NOT EXISTS tasks (
        id ${ID},
        user_id TEXT NOT NULL,
        title TEXT NOT NULL,
        due_date BIGINT NOT NULL,
        repeat_type TEXT NOT NULL,
        recurrence TEXT,
        parent_task_id BIGINT,
        parent_recurring_id BIGINT,
        completed INTEGER NOT NULL DEFAULT 0,
        completed_at BIGINT,
        created_at BIGINT NOT NULL);
      CREATE INDEX IF NOT EXISTS tasks_parent_recurring ON tasks (parent_recurring_id);
      CREATE INDEX IF NOT EXISTS tasks_user_repeat ON tasks (user_id, repeat_type);
      CREATE INDEX IF NOT EXISTS tasks_user_due ON tasks (user_id, due_date);
      CREATE UNIQUE INDEX IF NOT EXISTS tasks_one_occurrence_per_due_date
        ON tasks (parent_recurring_id, due_date) WHERE parent_recurring_id IS NOT NULL;
      CREATE TABLE IF NOT EXISTS task_activity (
        id ${ID},
        task_id BIGINT NOT NULL,
        user_id TEXT NOT NULL,
        action TEXT NOT NULL,
        details TEXT,
        at BIGINT NOT NULL);
      CREATE INDEX IF NOT EXISTS task_activity_task ON task_activity (task_id)
      """;

  private Tasks() {}

  static long insertTask(
      Connection c,
      String userId,
      String title,
      Instant due,
      String repeatType,
      String recurrence,
      Long parentTaskId,
      Instant now)
      throws SQLException {
    return insert(
            c,
            "INSERT INTO tasks (user_id, title, due_date, repeat_type, recurrence,"
                + " parent_task_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            userId,
            title,
            due.toEpochMilli(),
            repeatType,
            recurrence,
            parentTaskId,
            now.toEpochMilli())
        .orElseThrow();
  }

  /** Inserts an occurrence of {@code original} unless one with that due date exists. */
  static Optional<Long> insertOccurrence(Connection c, Task original, Instant due, Instant now)
      throws SQLException {
    return insert(
        c,
        "INSERT INTO tasks (user_id, title, due_date, repeat_type, parent_recurring_id,"
            + " created_at) VALUES (?, ?, ?, ?, ?, ?)"
            + " ON CONFLICT (parent_recurring_id, due_date) WHERE parent_recurring_id IS NOT NULL"
            + " DO NOTHING RETURNING id",
        original.userId(),
        original.title(),
        due.toEpochMilli(),
        original.repeatType(),
        original.numericId(),
        now.toEpochMilli());
  }

  static Optional<Task> find(Connection c, long id) throws SQLException {
    return queryOne(c, "SELECT " + Task.COLUMNS + " FROM tasks WHERE id = ?", Task::of, id);
  }

  static List<Task> ofUser(Connection c, String userId) throws SQLException {
    return query(
        c,
        "SELECT " + Task.COLUMNS + " FROM tasks WHERE user_id = ? ORDER BY due_date, id",
        Task::of,
        userId);
  }

  /** The occurrences of a series, by due date. */
  static List<Task> occurrences(Connection c, long originalId) throws SQLException {
    return query(
        c,
        "SELECT "
            + Task.COLUMNS
            + " FROM tasks WHERE parent_recurring_id = ?"
            + " ORDER BY due_date",
        Task::of,
        originalId);
  }

  static Optional<Task> occurrenceAt(Connection c, long originalId, Instant due)
      throws SQLException {
    return queryOne(
        c,
        "SELECT "
            + Task.COLUMNS
            + " FROM tasks WHERE parent_recurring_id = ?"
            + " AND due_date = ?",
        Task::of,
        originalId,
        due.toEpochMilli());
  }

  static boolean complete(Connection c, long id, String userId, Instant now) throws SQLException {
    return update(
            c,
            "UPDATE tasks SET completed = 1, completed_at = ? WHERE id = ? AND user_id = ?"
                + " AND completed = 0",
            now.toEpochMilli(),
            id,
            userId)
        == 1;
  }

  static boolean delete(Connection c, long id, String userId) throws SQLException {
    return update(c, "DELETE FROM tasks WHERE id = ? AND user_id = ?", id, userId) == 1;
  }

  static int deleteOccurrences(Connection c, long originalId, String userId) throws SQLException {
    return update(
        c, "DELETE FROM tasks WHERE parent_recurring_id = ? AND user_id = ?", originalId, userId);
  }

  static final String ORPHANS =
      " FROM tasks WHERE parent_recurring_id IS NOT NULL"
          + " AND NOT EXISTS (SELECT 1 FROM tasks o WHERE o.id = tasks.parent_recurring_id)";

  static long countOrphans(Connection c) throws SQLException {
    return queryOne(c, "SELECT COUNT(*)" + ORPHANS, rs -> rs.getLong(1)).orElse(0L);
  }

  static int deleteOrphans(Connection c) throws SQLException {
    return update(c, "DELETE" + ORPHANS);
  }

  static void activity(
      Connection c, long taskId, String userId, String action, String details, Instant now)
      throws SQLException {
    update(
        c,
        "INSERT INTO task_activity (task_id, user_id, action, details, at) VALUES (?, ?, ?, ?, ?)",
        taskId,
        userId,
        action,
        details,
        now.toEpochMilli());
  }

  static List<String> activityOf(Connection c, long taskId) throws SQLException {
    return query(
        c,
        "SELECT action FROM task_activity WHERE task_id = ? ORDER BY id",
        rs -> rs.getString(1),
        taskId);
  }
}
