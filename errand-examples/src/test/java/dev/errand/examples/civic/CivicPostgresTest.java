package dev.errand.examples.civic;

import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.PostgresPerTest;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;

/** The core flows of 001 on PostgreSQL, one fresh database per test. */
class CivicPostgresTest extends CivicFlows {
  private final PostgresPerTest pg = new PostgresPerTest();

  @Override
  Supplier<ExampleDatabase> database() {
    return pg.supplier();
  }

  @AfterEach
  void dropDatabase() {
    stop();
    pg.close();
  }
}
