package dev.errand.examples.recurring;

import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.PostgresPerTest;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;

/** The core flows of 003 on PostgreSQL, one fresh database per test. */
class RecurringTasksPostgresTest extends RecurringTasksFlows {
  private final PostgresPerTest pg = new PostgresPerTest();

  @Override
  Supplier<ExampleDatabase> database() {
    return pg.supplier();
  }

  @AfterEach
  void dropDatabase() {
    stop();
    app = null;
    pg.close();
  }
}
