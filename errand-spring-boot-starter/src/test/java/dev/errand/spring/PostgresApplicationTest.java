package dev.errand.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.errand.jdbc.PgTestDatabase;
import dev.errand.jdbc.PostgresJobStore;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The application on PostgreSQL (ERRAND_TEST_PG_URL, else embedded), detected from the
 * DataSource's metadata; sessions run in a non-UTC time zone to catch zone bugs.
 */
class PostgresApplicationTest extends ApplicationContract {
  private PgTestDatabase db;

  @Override
  Map<String, Object> databaseProperties() {
    db = PgTestDatabase.create();
    return Map.of(
        "spring.datasource.url", db.jdbcUrl(),
        "spring.datasource.hikari.connection-init-sql",
        "SET TIME ZONE '" + PgTestDatabase.SESSION_TIME_ZONE + "'");
  }

  @Override
  void closeDatabase() {
    if (db != null) {
      db.close();
    }
  }

  @Test
  void the_store_is_postgres_on_the_application_datasource() {
    assertThat(errand.store()).isInstanceOf(PostgresJobStore.class);
    assertThat(context.getBean(dev.errand.spi.JobStore.class)).isSameAs(errand.store());
  }
}
