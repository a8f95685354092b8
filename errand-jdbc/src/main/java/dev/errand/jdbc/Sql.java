package dev.errand.jdbc;

import dev.errand.FinishedSeries;
import dev.errand.FinishedStats;
import dev.errand.FinishedStats.Row;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** The one transaction helper of the JDBC stores. */
final class Sql {
  private Sql() {}

  /** Work on a connection that may throw {@link SQLException}. */
  @FunctionalInterface
  interface Work<R> {
    R run(Connection c) throws SQLException;
  }

  /**
   * Runs {@code work} in a transaction on a connection from {@code ds}: commits if it returns,
   * rolls back if it throws, restores auto-commit and closes the connection either way.
   *
   * @throws StoreException wrapping any {@link SQLException}, with its SQLState
   */
  static <R> R inTransaction(DataSource ds, String operation, Work<R> work) {
    try (Connection c = ds.getConnection()) {
      return inTransaction(c, operation, work);
    } catch (SQLException e) {
      throw new StoreException(operation, e);
    }
  }

  /** Like {@link #inTransaction(DataSource, String, Work)} on a connection the caller owns. */
  static <R> R inTransaction(Connection c, String operation, Work<R> work) {
    try {
      boolean auto = c.getAutoCommit();
      if (auto) {
        c.setAutoCommit(false);
      }
      try {
        R r = work.run(c);
        c.commit();
        return r;
      } catch (SQLException | RuntimeException | Error e) {
        try {
          c.rollback();
        } catch (SQLException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      } finally {
        if (auto) {
          c.setAutoCommit(true);
        }
      }
    } catch (SQLException e) {
      throw new StoreException(operation, e);
    }
  }

  /** The rows of a finished-stats query: queue, type, then the counters in {@link Row}'s order. */
  static List<FinishedStats.Row> finishedRows(PreparedStatement ps) throws SQLException {
    List<FinishedStats.Row> rows = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        rows.add(
            new FinishedStats.Row(
                rs.getString(1),
                rs.getString(2),
                rs.getLong(3),
                rs.getLong(4),
                rs.getLong(5),
                rs.getLong(6),
                rs.getLong(7),
                rs.getLong(8),
                rs.getLong(9)));
      }
    }
    return rows;
  }

  /** Reads (step, succeeded, failed) rows of a finished-series query into a whole series. */
  static FinishedSeries finishedSeries(
      PreparedStatement ps, Instant first, Duration step, int count, Instant end)
      throws SQLException {
    long[] succeeded = new long[count];
    long[] failed = new long[count];
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        int i = rs.getInt(1);
        succeeded[i] += rs.getLong(2);
        failed[i] += rs.getLong(3);
      }
    }
    return FinishedSeries.fromCounts(first, step, end, succeeded, failed);
  }
}
