package dev.errand.jdbc;

import dev.errand.EngineContract;
import dev.errand.spi.JobStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** The engine suite on SQLite files; engines "on one database" share a file. */
class SqliteEngineTest extends EngineContract {
  @TempDir Path dir;
  private Path last;
  private int files;
  private final List<SqliteJobStore> shared = new ArrayList<>();

  @Override
  protected JobStore newStore() {
    last = dir.resolve("engine-" + (++files) + ".db");
    return SqliteJobStore.file(last);
  }

  @Override
  protected JobStore sharedStore() {
    SqliteJobStore s = SqliteJobStore.file(last);
    shared.add(s);
    return s;
  }

  /** Runs before the suite's own clean-up: engines first (they write on shutdown), then stores. */
  @AfterEach
  void closeEnginesThenSharedStores() {
    engines.forEach(dev.errand.Errand::close);
    shared.forEach(SqliteJobStore::close);
  }
}
