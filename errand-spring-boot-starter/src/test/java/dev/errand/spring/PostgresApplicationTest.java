package dev.errand.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.errand.jdbc.PgTestDatabase;
import dev.errand.jdbc.PostgresJobStore;
import dev.errand.spring.app.Ran;
import dev.errand.spring.app.Welcome;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * The application on PostgreSQL (ERRAND_TEST_PG_URL, else embedded), detected from the DataSource's
 * metadata; sessions run in a non-UTC time zone to catch zone bugs.
 */
class PostgresApplicationTest extends ApplicationContract {
  private PgTestDatabase db;

  @Override
  Map<String, Object> databaseProperties() {
    db = PgTestDatabase.create();
    return Map.of(
        "spring.datasource.url",
        db.jdbcUrl(),
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

  @Test
  void a_producer_node_enqueues_and_this_node_runs_the_job_woken_by_notify() {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(DataSourceAutoConfiguration.class, ErrandAutoConfiguration.class))
        .withUserConfiguration(dev.errand.spring.app.WelcomeEmails.class, Ran.class)
        .withPropertyValues(
            "spring.datasource.url=" + db.jdbcUrl(),
            "errand.workers-enabled=false",
            "errand.scheduler.enabled=false",
            "errand.node-id=producer")
        .run(
            producer -> {
              String name = unique("from-producer");
              producer.getBean(JobEnqueuer.class).enqueue("welcome-email", new Welcome(name));

              // this application's poll interval is an hour: only the NOTIFY can wake it in time
              await().atMost(WAIT).until(() -> ran.welcomed.contains(name));
              assertThat(producer.getBean(Ran.class).welcomed).isEmpty();
              assertThat(errand.nodes()).extracting(dev.errand.Node::id).contains("producer");
            });
  }

  @Test
  void errand_store_sqlite_on_a_postgres_datasource_is_refused_naming_both() {
    new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(DataSourceAutoConfiguration.class, ErrandAutoConfiguration.class))
        .withPropertyValues("spring.datasource.url=" + db.jdbcUrl(), "errand.store=sqlite")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "errand.store=sqlite, but the application's DataSource is PostgreSQL"));
  }
}
