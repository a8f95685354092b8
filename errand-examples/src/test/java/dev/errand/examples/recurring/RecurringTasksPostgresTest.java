package dev.errand.examples.recurring;

import dev.errand.examples.ExampleDatabase;
import dev.errand.jdbc.PgTestDatabase;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;

/**
 * The core flows of 003 on PostgreSQL ({@code ERRAND_TEST_PG_URL} if set, else embedded), one fresh
 * database per test.
 */
class RecurringTasksPostgresTest extends RecurringTasksFlows {
  private PgTestDatabase pg;

  @Override
  Supplier<ExampleDatabase> database() {
    return () -> {
      pg = PgTestDatabase.create();
      return ExampleDatabase.postgres(pg.dataSource());
    };
  }

  @AfterEach
  void dropDatabase() {
    stop();
    app = null;
    if (pg != null) {
      pg.close();
    }
  }
}
