package dev.errand.spring;

import java.sql.Connection;
import java.sql.SQLException;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteConnection;

/** Where the sqlite-jdbc types are used, so the starter loads without the optional driver. */
final class SqliteConnections {
  private SqliteConnections() {}

  /**
   * Refuses an application DataSource whose transactions begin DEFERRED. Errand's store writes the
   * same file all the time (claims, heartbeats, outcomes); a deferred transaction that has read and
   * then writes (an enqueue joining it, or the application's own insert) fails at once with
   * SQLITE_BUSY when any of those committed since its first read, and SQLite does not wait for it.
   * An IMMEDIATE transaction takes the write lock at {@code BEGIN}, waiting up to the busy timeout,
   * and then cannot fail that way: at any moment one connection writes the file.
   */
  static void requireImmediate(Connection c, String url) throws SQLException {
    if (!c.isWrapperFor(SQLiteConnection.class)) {
      return;
    }
    SQLiteConnection sqlite = c.unwrap(SQLiteConnection.class);
    SQLiteConfig.TransactionMode mode = sqlite.getConnectionConfig().getTransactionMode();
    if (mode == SQLiteConfig.TransactionMode.DEFERRED) {
      throw new IllegalStateException(
          "errand: the application's SQLite DataSource ("
              + url
              + ")"
              + " begins transactions "
              + mode
              + "; with Errand writing the same file, a transaction"
              + " that reads and then writes fails with SQLITE_BUSY whenever Errand committed in"
              + " between. Add transaction_mode=IMMEDIATE to the URL, e.g. spring.datasource.url="
              + "jdbc:sqlite:app.db?transaction_mode=IMMEDIATE&busy_timeout=10000&journal_mode=WAL"
              + " (or set errand.sqlite.require-immediate-transactions=false if you handle it)");
    }
  }
}
