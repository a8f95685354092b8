package dev.errand.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.errand.Errand;
import dev.errand.jdbc.PgTestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The health indicator against a real PostgreSQL that stops and starts accepting connections. */
class HealthIndicatorTest {
  private PgTestDatabase db;

  @BeforeEach
  void createDatabase() {
    db = PgTestDatabase.create();
  }

  @AfterEach
  void dropDatabase() throws Exception {
    allowConnections(true);
    db.close();
  }

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(DataSourceAutoConfiguration.class, ErrandAutoConfiguration.class))
        .withPropertyValues(
            "spring.datasource.url=" + db.jdbcUrl(),
            "spring.datasource.hikari.connection-timeout=1000",
            "errand.scheduler.enabled=false");
  }

  /** Stops (or resumes) new connections to the test database and ends the open ones. */
  private void allowConnections(boolean allow) throws Exception {
    try (Connection admin = DriverManager.getConnection(PgTestDatabase.adminUrl());
        Statement st = admin.createStatement()) {
      st.execute("ALTER DATABASE \"" + db.name() + "\" ALLOW_CONNECTIONS " + allow);
      if (!allow) {
        try (PreparedStatement ps =
            admin.prepareStatement(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ?")) {
          ps.setString(1, db.name());
          ps.execute();
        }
      }
    }
  }

  @Test
  void health_is_down_while_the_database_refuses_connections_and_up_again_after() {
    runner()
        .run(
            context -> {
              ErrandHealthIndicator indicator = context.getBean(ErrandHealthIndicator.class);
              assertThat(indicator.health(true).getStatus()).isEqualTo(Status.UP);

              allowConnections(false);
              await()
                  .atMost(Duration.ofSeconds(20))
                  .until(() -> indicator.health(true).getStatus().equals(Status.DOWN));
              Health down = indicator.health(true);
              assertThat(down.getDetails()).containsKey("error");

              allowConnections(true);
              await()
                  .atMost(Duration.ofSeconds(20))
                  .until(() -> indicator.health(true).getStatus().equals(Status.UP));
            });
  }

  @Test
  void health_is_down_when_this_node_is_missing_from_the_node_registry() {
    runner()
        .withPropertyValues("errand.node-heartbeat-interval=1h")
        .run(
            context -> {
              ErrandHealthIndicator indicator = context.getBean(ErrandHealthIndicator.class);
              assertThat(indicator.health(true).getStatus()).isEqualTo(Status.UP);

              try (Connection c = db.connect();
                  Statement st = c.createStatement()) {
                st.executeUpdate("DELETE FROM errand_nodes");
              }

              Health health = indicator.health(true);
              assertThat(health.getStatus()).isEqualTo(Status.DOWN);
              assertThat(health.getDetails().get("reason").toString())
                  .contains("not in the node registry");
            });
  }

  @Test
  void health_is_down_once_the_engine_has_stopped() {
    ErrandHealthIndicator[] indicator = new ErrandHealthIndicator[1];
    runner().run(context -> indicator[0] = context.getBean(ErrandHealthIndicator.class));

    Health health = indicator[0].health(true);
    assertThat(health.getStatus()).isEqualTo(Status.DOWN);
    assertThat(health.getDetails()).containsEntry("lifecycle", Errand.Lifecycle.TERMINATED.name());
  }
}
