package dev.errand.examples;

import dev.errand.jdbc.PgTestDatabase;
import java.util.function.Supplier;

/**
 * A fresh PostgreSQL database for one test ({@code ERRAND_TEST_PG_URL} if set, else embedded),
 * created when the app under test opens it and dropped by {@link #close()}.
 */
public final class PostgresPerTest implements AutoCloseable {
  private PgTestDatabase pg;

  /** Opens a new database each time it is called. */
  public Supplier<ExampleDatabase> supplier() {
    return () -> {
      pg = PgTestDatabase.create();
      return ExampleDatabase.postgres(pg.dataSource());
    };
  }

  @Override
  public void close() {
    if (pg != null) {
      pg.close();
      pg = null;
    }
  }
}
