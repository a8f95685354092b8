package dev.errand.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;

/**
 * Bulk SQL against Errand's own tables (its V1 migrations), for the bloat workload: finished jobs
 * written in one statement instead of through the API, the way a table fills up over months.
 */
final class ErrandBulk {
  private static final String PAYLOAD = "{\"seq\":-1,\"enqueuedMicros\":0}";

  private ErrandBulk() {}

  /**
   * Inserts {@code n} SUCCEEDED jobs of the benchmark's type that finished within the last hour
   * (inside the default one-day retention, so the pruner leaves them alone during the run).
   */
  static void insertSucceeded(Database db, int n) throws Exception {
    String sql =
        db.kind == StoreKind.POSTGRES
            ? "INSERT INTO errand_jobs (type, queue, payload, state, priority, attempt, max_attempts,"
                + " run_at, node_id, created_at, started_at, finished_at, fence)"
                + " SELECT 'bench-noop', 'default', ?, 'SUCCEEDED', 0, 1, 20, t, 'bench-bulk', t, t,"
                + " t + g * interval '1 microsecond', 1"
                + " FROM generate_series(1, ?) g, (SELECT now() - interval '1 hour' AS t) base"
            : "INSERT INTO errand_jobs (type, queue, payload, state, priority, attempt, max_attempts,"
                + " run_at, node_id, created_at, started_at, finished_at, fence)"
                + " SELECT 'bench-noop', 'default', ?1, 'SUCCEEDED', 0, 1, 20, ?3, 'bench-bulk', ?3, ?3,"
                + " ?3 + i, 1"
                + " FROM (WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ?2)"
                + " SELECT i FROM g)";
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, PAYLOAD);
      ps.setInt(2, n);
      if (db.kind == StoreKind.SQLITE) {
        ps.setLong(3, Probe.wallMicros() - 3_600_000_000L);
      }
      int inserted = ps.executeUpdate();
      if (inserted != n) {
        throw new IllegalStateException("inserted " + inserted + " finished jobs, not " + n);
      }
    }
  }
}
