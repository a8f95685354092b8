package dev.errand.jdbc;

import java.time.Duration;
import javax.sql.DataSource;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/** Where the sqlite-jdbc types are used, so the rest loads without the optional driver. */
final class SqliteDataSources {
  private SqliteDataSources() {}

  /**
   * Connections to {@code url} with the busy timeout and synchronous setting applied on open.
   *
   * @param immediate whether {@code setAutoCommit(false)} begins {@code IMMEDIATE} (for users'
   *     transactions) rather than {@code DEFERRED} (the store's own connections stay in auto-commit
   *     mode and begin their transactions explicitly)
   */
  static DataSource create(
      String url, SqliteJobStore.Synchronous synchronous, Duration busyTimeout, boolean immediate) {
    SQLiteConfig config = new SQLiteConfig();
    config.setBusyTimeout((int) busyTimeout.toMillis());
    config.setSynchronous(
        synchronous == SqliteJobStore.Synchronous.FULL
            ? SQLiteConfig.SynchronousMode.FULL
            : SQLiteConfig.SynchronousMode.NORMAL);
    config.setTransactionMode(
        immediate ? SQLiteConfig.TransactionMode.IMMEDIATE : SQLiteConfig.TransactionMode.DEFERRED);
    SQLiteDataSource ds = new SQLiteDataSource(config);
    ds.setUrl(url);
    return ds;
  }
}
