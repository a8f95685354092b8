package dev.errand.jdbc;

import dev.errand.EngineContract;
import dev.errand.spi.JobStore;
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

  private JobStore track(JobStore s) {
    stores.add(s);
    return s;
  }

  @AfterEach
  void closeStores() {
    stores.forEach(JobStore::close);
    stores.clear();
  }
}
