package dev.errand.jdbc;

import dev.errand.EngineContract;
import dev.errand.spi.JobStore;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/** The engine suite on PostgreSQL; engines on "one database" use separate pools, like nodes. */
class PostgresEngineTest extends EngineContract {
  private static PgTestDatabase db;
  private static DataSource otherNodes;
  private final List<JobStore> stores = new ArrayList<>();

  @BeforeAll
  static void createDatabase() {
    db = PgTestDatabase.create();
    otherNodes = db.newDataSource("errand-engine-node-2");
  }

  @AfterAll
  static void dropDatabase() {
    db.close();
  }

  @Override
  protected JobStore newStore() {
    db.truncateErrandTables();
    return track(PostgresJobStore.create(db.dataSource()));
  }

  @Override
  protected JobStore sharedStore() {
    return track(PostgresJobStore.create(otherNodes));
  }

  /** Jobs by state and lock holders, sessions of this database, and locks not granted. */
  @Override
  protected String storeDiagnostics() {
    StringBuilder m = new StringBuilder();
    try (Connection c = db.connect();
        Statement st = c.createStatement()) {
      table(
          m,
          st,
          "jobs",
          "SELECT state, count(*), min(run_at), max(attempt), count(node_id), max(fence)"
              + " FROM errand_jobs GROUP BY state");
      table(m, st, "queues", "SELECT name, paused FROM errand_queues");
      table(
          m,
          st,
          "sessions",
          "SELECT pid, application_name, state, xact_start, wait_event_type, wait_event,"
              + " left(query, 160) FROM pg_stat_activity"
              + " WHERE datname = current_database() AND pid <> pg_backend_pid()");
      table(
          m,
          st,
          "row and relation locks",
          "SELECT l.pid, l.locktype, l.mode, l.granted, l.relation::regclass"
              + " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
              + " WHERE a.datname = current_database() AND l.pid <> pg_backend_pid()"
              + " AND l.locktype IN ('relation', 'tuple', 'transactionid', 'advisory')"
              + " ORDER BY l.granted, l.pid");
    } catch (SQLException e) {
      m.append("diagnostics query failed: ").append(e).append('\n');
    }
    return m.toString();
  }

  private static void table(StringBuilder m, Statement st, String title, String sql)
      throws SQLException {
    m.append(title).append(":\n");
    try (ResultSet rs = st.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        m.append("  ");
        for (int i = 1; i <= n; i++) {
          m.append(i > 1 ? " | " : "").append(rs.getString(i));
        }
        m.append('\n');
      }
    }
  }

  private JobStore track(JobStore s) {
    stores.add(s);
    return s;
  }

  /** Engines first (JUnit runs this before the superclass's), so none writes to a closed store. */
  @AfterEach
  void closeEnginesThenStores() {
    engines.forEach(dev.errand.Errand::close);
    stores.forEach(JobStore::close);
    stores.clear();
  }
}
