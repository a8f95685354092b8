package dev.errand.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.LockSupport;

/**
 * What the database costs a paced caller before any job system is involved: {@code SELECT 1} and a
 * one-row {@code INSERT} committed durably, each on a plain JDBC connection after the same idle gap
 * as the latency workload's enqueues. On a VM whose idle vCPUs halt, a round trip after a gap costs
 * several times the same round trip back to back, and this is the floor under any enqueue-to-start
 * figure measured there.
 *
 * <p>PostgreSQL: the default {@code synchronous_commit}. SQLite: a file of its own beside the
 * store's, in WAL mode with {@code synchronous=FULL} (Errand's default, an fsync of the WAL per
 * commit); its WAL is first grown to {@value #SQLITE_WAL_BYTES} bytes and checkpointed, so that the
 * measured commits overwrite the WAL from its start as a store that has run for a while does. An
 * fsync that also extends the file costs ext4 a journal commit more, about twice as long.
 */
final class JdbcFloor {
  /** Enough for a p99 that is not the largest sample, few enough to take 20 s at 25/s. */
  static final int MAX_SAMPLES = 500;

  /** What the SQLite floor's WAL is grown to before it is measured. */
  static final int SQLITE_WAL_BYTES = 4 << 20;

  private static final String TABLE = "errand_bench_floor";

  /** Each sample's times in microseconds. */
  record Result(double[] selectMicros, double[] insertMicros) {}

  private JdbcFloor() {}

  /**
   * Runs {@code samples} pairs at {@code rate} pairs per second: a {@code SELECT 1}, half a period
   * later an {@code INSERT}, each timed around its execute; creates and drops its own table.
   */
  static Result measure(StoreKind kind, String jdbcUrl, double rate, int samples)
      throws SQLException {
    if (samples < 1 || !(rate > 0)) {
      throw new IllegalArgumentException(
          "need at least one sample at a positive rate, got " + samples + " at " + rate);
    }
    double[] select = new double[samples];
    double[] insert = new double[samples];
    try (Connection c = DriverManager.getConnection(jdbcUrl)) {
      try (Statement st = c.createStatement()) {
        if (kind == StoreKind.SQLITE) {
          st.execute("PRAGMA journal_mode = WAL");
          st.execute(
              "CREATE TABLE IF NOT EXISTS "
                  + TABLE
                  + " (id INTEGER PRIMARY KEY, payload TEXT NOT NULL,"
                  + " at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)");
          st.execute("PRAGMA synchronous = OFF");
          st.execute(
              "INSERT INTO "
                  + TABLE
                  + " (payload) VALUES (hex(zeroblob("
                  + SQLITE_WAL_BYTES / 2
                  + ")))");
          st.execute("DELETE FROM " + TABLE);
          st.execute("PRAGMA wal_checkpoint(PASSIVE)");
          st.execute("PRAGMA synchronous = FULL");
        } else {
          st.execute(
              "CREATE TABLE IF NOT EXISTS "
                  + TABLE
                  + " (id BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL,"
                  + " at TIMESTAMPTZ NOT NULL DEFAULT now())");
        }
      }
      try (PreparedStatement one = c.prepareStatement("SELECT 1");
          PreparedStatement row =
              c.prepareStatement("INSERT INTO " + TABLE + " (payload) VALUES (?) RETURNING id")) {
        for (int i = 0; i < 20; i++) { // past the driver's switch to a server-prepared statement
          run(one, null);
          run(row, "{\"warm\":" + i + "}");
        }
        long periodNanos = (long) (1e9 / rate);
        long start = System.nanoTime() + periodNanos;
        for (int i = 0; i < samples; i++) {
          long at = start + i * periodNanos;
          select[i] = timed(one, null, at);
          insert[i] = timed(row, "{\"n\":" + i + "}", at + periodNanos / 2);
        }
      } finally {
        try (Statement st = c.createStatement()) {
          st.execute("DROP TABLE IF EXISTS " + TABLE);
        }
      }
    }
    return new Result(select, insert);
  }

  private static double timed(PreparedStatement ps, String payload, long at) throws SQLException {
    for (long left = at - System.nanoTime(); left > 0; left = at - System.nanoTime()) {
      LockSupport.parkNanos(left);
    }
    long t0 = System.nanoTime();
    run(ps, payload);
    return (System.nanoTime() - t0) / 1000.0;
  }

  private static void run(PreparedStatement ps, String payload) throws SQLException {
    if (payload != null) {
      ps.setString(1, payload);
    }
    try (ResultSet rs = ps.executeQuery()) {
      rs.next();
    }
  }
}
