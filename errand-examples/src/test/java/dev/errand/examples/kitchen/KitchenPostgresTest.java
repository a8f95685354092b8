package dev.errand.examples.kitchen;

import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.PostgresPerTest;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;

/** The core flows of 004 on PostgreSQL, one fresh database per test. */
class KitchenPostgresTest extends KitchenFlows {
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
