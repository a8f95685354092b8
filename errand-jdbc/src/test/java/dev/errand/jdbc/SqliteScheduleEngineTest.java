package dev.errand.jdbc;

import dev.errand.ScheduleEngineContract;
import dev.errand.spi.JobStore;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.io.TempDir;

/** Stored schedules through the engine on a SQLite file, with the test's clock. */
class SqliteScheduleEngineTest extends ScheduleEngineContract {
  @TempDir Path dir;

  @Override
  protected JobStore newStore(Clock clock) {
    return SqliteJobStore.builder(dir.resolve("jobs.db")).clock(clock).build();
  }

  @Override
  protected JobStore sharedStore(Clock clock) {
    return newStore(clock);
  }
}
