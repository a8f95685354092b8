package dev.errand.jdbc.cluster;

import dev.errand.jdbc.PgTestDatabase;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A fresh PostgreSQL database with the {@code errand_test_runs} table per test, and everything a
 * test starts (engines, child JVMs, pools) closed after it in reverse order, even when it fails.
 *
 * <p>The fault tests build their engines with {@code scheduler(false)}, so that the built-in
 * maintenance occurrences ({@code errand.*}) do not mix into the job counts they assert; {@code
 * ClusterScheduleTest} is the one about the scheduler.
 */
abstract class ClusterTestSupport {
  protected PgTestDatabase db;
  private final List<AutoCloseable> resources = new ArrayList<>();

  @BeforeEach
  void createDatabase() throws Exception {
    db = PgTestDatabase.create();
    WorkerMain.createRunsTable(db.dataSource());
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (int i = resources.size() - 1; i >= 0; i--) {
      resources.get(i).close();
    }
    db.close();
  }

  /** Closes {@code resource} after the test. */
  protected <T extends AutoCloseable> T track(T resource) {
    resources.add(resource);
    return resource;
  }
}
