package dev.errand.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * One fresh, empty database for one measured run of one system: a PostgreSQL database created for
 * it, or a new SQLite file. Closing it closes the pool and drops the database (deletes the file).
 */
final class Database implements AutoCloseable {
  /** Connections in each system's pool on PostgreSQL; the same for every system. */
  static final int POOL_SIZE = 10;

  /**
   * Connections in a peer's pool on SQLite: one, because SQLite has one writer and a second
   * connection that upgrades a read transaction to a write fails at once with SQLITE_BUSY (the busy
   * timeout does not apply to that case), which JobRunr does not survive.
   */
  static final int SQLITE_POOL_SIZE = 1;

  /**
   * SQLite: how long a writer waits for the lock before failing (peers only; Errand sets its own).
   */
  static final int SQLITE_BUSY_TIMEOUT_MS = 30_000;

  final StoreKind kind;
  final String name;
  final String jdbcUrl;
  private final PgServer server;
  private final Path file;
  private HikariDataSource pool;
  private DataSource pooled;
  private StatementTimer timer;

  private Database(StoreKind kind, String name, String jdbcUrl, PgServer server, Path file) {
    this.kind = kind;
    this.name = name;
    this.jdbcUrl = jdbcUrl;
    this.server = server;
    this.file = file;
  }

  static Database postgres(PgServer server, String name, String url) {
    return new Database(StoreKind.POSTGRES, name, url, server, null);
  }

  /** A new SQLite database file {@code dir/name.db} (any old one and its WAL are deleted first). */
  static Database sqlite(Path dir, String name) throws IOException {
    Files.createDirectories(dir);
    Path f = dir.resolve(name + ".db");
    deleteSqlite(f);
    return new Database(StoreKind.SQLITE, name, "jdbc:sqlite:" + f, null, f);
  }

  /** An existing database, opened by a worker JVM that did not create it. */
  static Database existing(StoreKind kind, String jdbcUrl) {
    Path f = kind == StoreKind.SQLITE ? Path.of(jdbcUrl.substring("jdbc:sqlite:".length())) : null;
    return new Database(kind, "existing", jdbcUrl, null, f);
  }

  /** The SQLite file; only for SQLite. */
  Path file() {
    if (file == null) {
      throw new IllegalStateException("database " + name + " is " + kind + ", not a file");
    }
    return file;
  }

  /**
   * A HikariCP pool, made on first use: {@value #POOL_SIZE} connections on PostgreSQL; on SQLite
   * {@value #SQLITE_POOL_SIZE} in WAL mode with a {@value #SQLITE_BUSY_TIMEOUT_MS} ms busy timeout.
   */
  synchronized DataSource dataSource() {
    if (pool == null) {
      HikariConfig c = new HikariConfig();
      c.setJdbcUrl(jdbcUrl);
      c.setMaximumPoolSize(kind == StoreKind.SQLITE ? SQLITE_POOL_SIZE : POOL_SIZE);
      c.setPoolName("bench-" + name);
      c.setConnectionTimeout(60_000);
      if (kind == StoreKind.SQLITE) {
        c.addDataSourceProperty("journal_mode", "WAL");
        c.addDataSourceProperty("busy_timeout", Integer.toString(SQLITE_BUSY_TIMEOUT_MS));
      }
      pool = new HikariDataSource(c);
      pooled = pool;
      if (StatementTimer.ENABLED) {
        timer = new StatementTimer();
        pooled = timer.wrap(pool);
      }
    }
    return pooled;
  }

  /** A plain connection outside any pool, for bulk setup SQL. */
  Connection connect() throws SQLException {
    Connection c = DriverManager.getConnection(jdbcUrl);
    if (kind == StoreKind.SQLITE) {
      try (var st = c.createStatement()) {
        st.execute("PRAGMA busy_timeout = " + SQLITE_BUSY_TIMEOUT_MS);
      }
    }
    return c;
  }

  /**
   * With {@code -Derrand.bench.traceSql=true}: prints the statement timings so far to standard
   * error.
   */
  synchronized void printTimings() {
    if (timer != null) {
      System.err.print(
          timer.summary(
              name + " (" + kind.label() + ", pid " + ProcessHandle.current().pid() + ")"));
      System.err.flush();
      timer = null;
    }
  }

  @Override
  public synchronized void close() throws Exception {
    printTimings();
    if (pool != null) {
      pool.close();
      pool = null;
    }
    if (server != null) {
      server.drop(name);
    } else if (file != null && !"existing".equals(name)) {
      deleteSqlite(file);
    }
  }

  static void deleteSqlite(Path f) throws IOException {
    for (String suffix : new String[] {"", "-wal", "-shm", "-journal"}) {
      Files.deleteIfExists(Path.of(f + suffix));
    }
  }
}
