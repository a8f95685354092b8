package dev.errand.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Semaphore;

/**
 * A small pool of read-only connections of a {@link SqliteJobStore}. In WAL mode a reader sees the
 * last committed state and never waits for the writer, so reads (find, list, counts) run here and
 * not behind the write lock. At most {@code size} connections exist; a reader beyond that waits for
 * one to be returned. Connections are opened on first need and kept until {@link #close()}.
 */
final class SqliteReaders implements AutoCloseable {
  /** Opens one read connection. */
  @FunctionalInterface
  interface Opener {
    Connection open() throws SQLException;
  }

  private final Opener opener;
  private final Semaphore permits;
  private final Deque<Connection> idle = new ArrayDeque<>();
  private boolean closed;

  SqliteReaders(Opener opener, int size) {
    this.opener = opener;
    this.permits = new Semaphore(size);
  }

  /**
   * Runs {@code work} on a read connection in auto-commit mode (each statement reads one consistent
   * snapshot).
   *
   * @throws StoreException wrapping any {@link SQLException}
   */
  <R> R read(String operation, Sql.Work<R> work) {
    permits.acquireUninterruptibly();
    try {
      Connection c = borrow();
      boolean healthy = false;
      try {
        R r = work.run(c);
        healthy = true;
        return r;
      } finally {
        giveBack(c, healthy);
      }
    } catch (SQLException e) {
      throw new StoreException(operation, e);
    } finally {
      permits.release();
    }
  }

  private Connection borrow() throws SQLException {
    synchronized (idle) {
      if (closed) {
        throw new IllegalStateException("the SQLite job store is closed");
      }
      Connection c = idle.pollFirst();
      if (c != null) {
        return c;
      }
    }
    return opener.open();
  }

  private void giveBack(Connection c, boolean healthy) {
    synchronized (idle) {
      if (!closed && healthy) {
        idle.addFirst(c);
        return;
      }
    }
    // closed meanwhile, or the work failed: a fresh connection next time costs little
    try {
      c.close();
    } catch (SQLException ignored) {
      // nothing useful to do
    }
  }

  @Override
  public void close() {
    synchronized (idle) {
      closed = true;
      for (Connection c : idle) {
        try {
          c.close();
        } catch (SQLException ignored) {
          // closing anyway
        }
      }
      idle.clear();
    }
  }
}
