package dev.errand.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one connection a {@link SqliteJobStore} writes with, and the lock that makes it the only
 * writer of this process. SQLite lets one connection write at a time; funnelling every write of the
 * process through one connection means writers of this JVM queue on a Java lock (cheap, fair
 * enough, no busy-waiting) and only other processes ever meet SQLite's busy handler.
 *
 * <p>Transactions are {@code BEGIN IMMEDIATE}: the write lock is taken before the first read, so a
 * transaction that reads and then writes never fails with {@code SQLITE_BUSY_SNAPSHOT} when another
 * process wrote in between. The connection stays in JDBC auto-commit mode and the transaction is
 * driven with plain {@code BEGIN IMMEDIATE}/{@code COMMIT}/{@code ROLLBACK} statements:
 * sqlite-jdbc's {@code commit()} immediately opens the next transaction, which would take the write
 * lock again after every commit, and a busy error there would report an already committed write as
 * failed. That is why this class, not {@link Sql#inTransaction}, runs the write transactions.
 *
 * <p>Prepared statements are cached per SQL text; they are used only by the thread that holds the
 * lock.
 *
 * <p>Relaxed transactions ({@link #inRelaxedTransaction}) commit with {@code synchronous=NORMAL}
 * even when the store is {@code FULL}: they are for writes whose loss in a power failure is
 * harmless under at-least-once delivery (a lost claim leaves the job waiting; a lost outcome makes
 * the job run again; a lost heartbeat or rescue is redone). In WAL mode the next FULL commit fsyncs
 * the WAL up to itself, so an acknowledged durable write never depends on a relaxed one.
 */
final class SqliteWriter implements AutoCloseable {
  private final ReentrantLock lock = new ReentrantLock();
  private final Connection connection;
  private final Map<String, PreparedStatement> statements = new HashMap<>();
  private final Statement control;
  private final boolean full;
  private boolean relaxed; // guarded by lock: the connection currently commits with NORMAL

  SqliteWriter(Connection connection, boolean full) throws SQLException {
    this.connection = connection;
    this.control = connection.createStatement();
    this.full = full;
  }

  /**
   * Like {@link #inTransaction} but committed without fsync (see the class docs). Only for claims,
   * heartbeats, rescues, attempt outcomes and pruning.
   */
  <R> R inRelaxedTransaction(String operation, Sql.Work<R> work) {
    return inTransaction(operation, true, work);
  }

  /**
   * Runs {@code work} in one {@code BEGIN IMMEDIATE} transaction, holding the writer lock: commits
   * if it returns, rolls back if it throws.
   *
   * @throws StoreException wrapping any {@link SQLException}
   */
  <R> R inTransaction(String operation, Sql.Work<R> work) {
    return inTransaction(operation, false, work);
  }

  private <R> R inTransaction(String operation, boolean relax, Sql.Work<R> work) {
    try {
      return inTransactionChecked(
          operation,
          relax,
          c -> {
            try {
              return work.run(c);
            } catch (SQLException e) {
              throw new StoreException(operation, e);
            }
          });
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("unexpected checked exception in " + operation, e);
    }
  }

  /** Work that may throw anything; used for user code run inside a write transaction. */
  @FunctionalInterface
  interface CheckedWork<R> {
    R run(Connection c) throws Exception;
  }

  /**
   * Like {@link #inTransaction} but lets every exception of {@code work} through unchanged; a
   * failure to begin or commit is a {@link StoreException}.
   */
  <R> R inTransactionChecked(String operation, CheckedWork<R> work) throws Exception {
    return inTransactionChecked(operation, false, work);
  }

  private <R> R inTransactionChecked(String operation, boolean relax, CheckedWork<R> work)
      throws Exception {
    if (lock.isHeldByCurrentThread()) {
      throw new IllegalStateException(
          "cannot "
              + operation
              + ": this thread is inside a"
              + " transaction of this store already (the work of completeInTransaction); write"
              + " through the connection the work was given, e.g. enqueue(connection, jobs)");
    }
    lock.lock();
    try {
      try {
        if (full && relax != relaxed) {
          control.execute(relax ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL");
          relaxed = relax;
        }
        control.execute("BEGIN IMMEDIATE");
      } catch (SQLException e) {
        throw new StoreException(operation + " (begin)", e);
      }
      R result;
      try {
        result = work.run(connection);
      } catch (Throwable t) {
        rollback(t);
        throw t;
      }
      try {
        control.execute("COMMIT");
      } catch (SQLException e) {
        StoreException failure = new StoreException(operation + " (commit)", e);
        rollback(failure); // a failed COMMIT (e.g. SQLITE_BUSY, SQLITE_FULL) may leave it open
        throw failure;
      }
      return result;
    } finally {
      lock.unlock();
    }
  }

  private void rollback(Throwable cause) {
    try {
      control.execute("ROLLBACK");
    } catch (SQLException e) {
      // "no transaction is active": SQLite already rolled back (e.g. after SQLITE_FULL)
      cause.addSuppressed(e);
    }
  }

  /** A cached statement for {@code sql}; call only from inside a transaction of this writer. */
  PreparedStatement prepare(String sql) throws SQLException {
    assert lock.isHeldByCurrentThread();
    PreparedStatement ps = statements.get(sql);
    if (ps == null) {
      ps = connection.prepareStatement(sql);
      statements.put(sql, ps);
    }
    return ps;
  }

  /** Runs {@code work} on the connection under the lock, outside any transaction. */
  <R> R withConnection(String operation, Sql.Work<R> work) {
    lock.lock();
    try {
      return work.run(connection);
    } catch (SQLException e) {
      throw new StoreException(operation, e);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    lock.lock();
    try {
      for (PreparedStatement ps : statements.values()) {
        closeQuietly(ps);
      }
      statements.clear();
      closeQuietly(control);
      closeQuietly(connection);
    } finally {
      lock.unlock();
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // closing: nothing useful to do with a failure here
    }
  }
}
