package dev.errand.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.errand.JobStoreContract;
import dev.errand.ScheduleStoreContract;
import dev.errand.spi.JobStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/** The store conformance suite on a SQLite file; the second store is another instance on it. */
class SqliteJobStoreContractTest extends JobStoreContract {
  @TempDir Path dir;
  private SqliteJobStore second;

  @Override
  protected JobStore newStore() {
    return SqliteJobStore.file(dir.resolve("jobs.db"));
  }

  @Override
  protected JobStore secondStore() {
    if (second == null) {
      second = SqliteJobStore.file(dir.resolve("jobs.db"));
      second.open();
    }
    return second;
  }

  @Override
  protected void writeStoredErrors(long id, String json) throws Exception {
    try (Connection c = ((SqliteJobStore) store).dataSource().getConnection();
        PreparedStatement ps =
            c.prepareStatement("UPDATE errand_jobs SET errors = ? WHERE id = ?")) {
      ps.setString(1, json);
      ps.setLong(2, id);
      assertThat(ps.executeUpdate()).isEqualTo(1);
      if (!c.getAutoCommit()) {
        c.commit();
      }
    }
  }

  @AfterEach
  void closeSecondStore() {
    if (second != null) {
      second.close();
    }
  }

  /** The schedule store suite, on a fresh database and the same second node. */
  @Nested
  class Schedules extends ScheduleStoreContract {
    @Override
    protected JobStore newStore() {
      return SqliteJobStoreContractTest.this.newStore();
    }

    @Override
    protected JobStore secondStore() {
      return SqliteJobStoreContractTest.this.secondStore();
    }
  }
}
