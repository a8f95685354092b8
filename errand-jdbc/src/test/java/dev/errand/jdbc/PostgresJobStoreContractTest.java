package dev.errand.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.errand.JobStoreContract;
import dev.errand.ScheduleStoreContract;
import dev.errand.spi.JobStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;

/**
 * The store conformance suite on PostgreSQL; the second store is another node with its own pool.
 */
class PostgresJobStoreContractTest extends JobStoreContract {
  private static PgTestDatabase db;
  private static DataSource otherNode;
  private final List<JobStore> others = new ArrayList<>();

  @BeforeAll
  static void createDatabase() {
    db = PgTestDatabase.create();
    otherNode = db.newDataSource("errand-contract-node-2");
  }

  @AfterAll
  static void dropDatabase() {
    db.close();
  }

  @Override
  protected JobStore newStore() {
    db.truncateErrandTables();
    return PostgresJobStore.create(db.dataSource());
  }

  @Override
  protected JobStore secondStore() {
    PostgresJobStore s = PostgresJobStore.create(otherNode);
    s.open();
    others.add(s);
    return s;
  }

  @Override
  protected void writeStoredErrors(long id, String json) throws Exception {
    try (Connection c = db.dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement("UPDATE errand_jobs SET errors = ?::jsonb WHERE id = ?")) {
      ps.setString(1, json);
      ps.setLong(2, id);
      assertThat(ps.executeUpdate()).isEqualTo(1);
    }
  }

  @AfterEach
  void closeOtherStores() {
    others.forEach(JobStore::close);
    others.clear();
  }

  /** The schedule store suite, on a fresh database and the same second node. */
  @Nested
  class Schedules extends ScheduleStoreContract {
    @Override
    protected JobStore newStore() {
      return PostgresJobStoreContractTest.this.newStore();
    }

    @Override
    protected JobStore secondStore() {
      return PostgresJobStoreContractTest.this.secondStore();
    }
  }
}
