package dev.errand.examples.kitchen;

import static dev.errand.examples.ExampleDatabase.update;

import java.sql.Connection;
import java.time.Instant;

/**
 * Where a task's KPI entry goes (004's "KPI recording"). Called on the worker thread inside the
 * task's transaction, so an entry is stored exactly when the task's stock changes are; a sink that
 * throws fails the attempt, which rolls everything back and is retried with backoff.
 */
@FunctionalInterface
public interface KpiSink {
  /**
   * One KPI entry: who did what, for which department, at what cost.
   *
   * @param jobId the task
   * @param kind {@code production}, {@code product_writeoff} or {@code preparation_writeoff}
   * @param userId who submitted it
   * @param userName their display name
   * @param department {@code kitchen} or {@code bar}
   * @param cost the cost of what was produced or written off, in minor currency units
   * @param affectsKpi false for write-offs 004 would not count against the user
   * @param at when the task's work ran (the application clock)
   */
  record Entry(
      long jobId,
      String kind,
      String userId,
      String userName,
      String department,
      long cost,
      boolean affectsKpi,
      Instant at) {}

  /**
   * Records {@code entry} on {@code connection}, the task's transaction: do not commit, roll back
   * or close it.
   *
   * @throws Exception to fail this attempt (it is retried with backoff)
   */
  void record(Connection connection, Entry entry) throws Exception;

  /** The default sink: a row in {@code kpi_entries}, one per task (a retry cannot add a second). */
  static KpiSink table() {
    return (c, e) ->
        update(
            c,
            "INSERT INTO kpi_entries (job_id, kind, user_id, user_name, department, cost,"
                + " affects_kpi, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (job_id) DO NOTHING",
            e.jobId(),
            e.kind(),
            e.userId(),
            e.userName(),
            e.department(),
            e.cost(),
            e.affectsKpi() ? 1 : 0,
            e.at().toEpochMilli());
  }
}
