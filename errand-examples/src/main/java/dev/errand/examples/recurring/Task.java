package dev.errand.examples.recurring;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * A task row. An original recurring task has a {@code repeatType} other than {@code none} and its
 * schedule in {@code recurrence}; its materialized occurrences ("instances") point to it with
 * {@code parentRecurringId}. Serialized with 003's field names ({@code _id}, {@code dueDate} as
 * {@code 2024-02-02T09:00:00.000Z}).
 */
public record Task(
    @JsonProperty("_id") String id,
    String userId,
    String title,
    String dueDate,
    String repeatType,
    String recurrence,
    String parentTaskId,
    String parentRecurringId,
    boolean completed,
    String completedAt) {

  static final String COLUMNS =
      "id, user_id, title, due_date, repeat_type, recurrence,"
          + " parent_task_id, parent_recurring_id, completed, completed_at";

  private static final DateTimeFormatter ISO_MILLIS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  static Task of(ResultSet rs) throws SQLException {
    long parentTask = rs.getLong("parent_task_id");
    boolean hasParentTask = !rs.wasNull();
    long parentRecurring = rs.getLong("parent_recurring_id");
    boolean hasParentRecurring = !rs.wasNull();
    long completedAt = rs.getLong("completed_at");
    boolean hasCompletedAt = !rs.wasNull();
    return new Task(
        String.valueOf(rs.getLong("id")),
        rs.getString("user_id"),
        rs.getString("title"),
        iso(Instant.ofEpochMilli(rs.getLong("due_date"))),
        rs.getString("repeat_type"),
        rs.getString("recurrence"),
        hasParentTask ? String.valueOf(parentTask) : null,
        hasParentRecurring ? String.valueOf(parentRecurring) : null,
        rs.getInt("completed") != 0,
        hasCompletedAt ? iso(Instant.ofEpochMilli(completedAt)) : null);
  }

  /** An instant as 003 writes dates: UTC with milliseconds. */
  public static String iso(Instant instant) {
    return ISO_MILLIS.format(instant);
  }

  @JsonIgnore
  public long numericId() {
    return Long.parseLong(id);
  }

  @JsonIgnore
  public Instant due() {
    return Instant.parse(dueDate);
  }

  /** True for an original recurring task (not an instance, not a one-off). */
  @JsonIgnore
  public boolean isRecurringOriginal() {
    return parentRecurringId == null && recurrence != null;
  }
}
