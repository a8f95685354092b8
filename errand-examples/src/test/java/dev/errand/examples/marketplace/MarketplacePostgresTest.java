package dev.errand.examples.marketplace;

import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.PostgresPerTest;
import java.io.IOException;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;

/** The core flows of 000 on PostgreSQL, one fresh database per test. */
class MarketplacePostgresTest extends MarketplaceFlows {
  private final PostgresPerTest pg = new PostgresPerTest();

  @Override
  Supplier<ExampleDatabase> database() {
    return pg.supplier();
  }

  @AfterEach
  void dropDatabase() throws IOException {
    stop();
    pg.close();
  }
}
