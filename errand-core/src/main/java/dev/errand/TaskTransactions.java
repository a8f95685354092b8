package dev.errand;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import java.util.concurrent.Callable;
import javax.sql.DataSource;

/**
 * Gives each after-response task its own connection and transaction, taken from a {@link
 * DataSource} when the task runs, never the request's (which is closed or back in the pool by then,
 * and belongs to another thread):
 *
 * <pre>{@code
 * TaskTransactions tx = TaskTransactions.of(dataSource);
 * AfterResponse.run("audit-report-created", tx.task(c -> audit.insert(c, reportId)));
 * }</pre>
 *
 * <p>The connection has auto-commit off; the work commits when it returns and rolls back when it
 * throws, then the connection's auto-commit is restored and it is closed (back to the pool). The
 * work must not commit, roll back or close it. Thread-safe; the work runs on the lane thread that
 * runs the task.
 */
public final class TaskTransactions {
  private final DataSource dataSource;

  private TaskTransactions(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Transactions from {@code dataSource}, one per task run. */
  public static TaskTransactions of(DataSource dataSource) {
    return new TaskTransactions(Objects.requireNonNull(dataSource, "dataSource"));
  }

  /**
   * A task that runs {@code work} in a fresh transaction each time it runs (each retry gets a new
   * one) and returns what the work returns.
   */
  public <R> Callable<R> task(TransactionWork<R> work) {
    Objects.requireNonNull(work, "work");
    return () -> inTransaction(work);
  }

  /**
   * Runs {@code work} now, on the calling thread, in a fresh transaction.
   *
   * @throws Exception what the work threw (after the rollback), or the {@link SQLException} of
   *     getting, committing or rolling back the connection
   */
  public <R> R inTransaction(TransactionWork<R> work) throws Exception {
    try (Connection c = dataSource.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        R result = work.run(c);
        c.commit();
        return result;
      } catch (Throwable e) {
        try {
          c.rollback();
        } catch (SQLException rollback) {
          e.addSuppressed(rollback);
        }
        throw e;
      } finally {
        c.setAutoCommit(autoCommit);
      }
    }
  }
}
