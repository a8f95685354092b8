package dev.errand.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.errand.spi.ClaimedJob;
import dev.errand.spi.LeaseRef;
import dev.errand.spi.NewJob;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Claims, heartbeats and rescues commit with {@code synchronous_commit = off} set for their own
 * transaction only: the pooled connection they ran on is back to the server's setting afterwards.
 */
class PostgresCommitModeTest {
  private static PgTestDatabase db;
  private static HikariDataSource oneConnection;

  @BeforeAll
  static void start() {
    db = PgTestDatabase.create();
    oneConnection = (HikariDataSource) db.newDataSource("errand-commit-mode");
    oneConnection.setMaximumPoolSize(1);
  }

  @AfterAll
  static void stop() {
    oneConnection.close();
    db.close();
  }

  @Test
  void relaxed_commits_do_not_leak_into_the_pooled_connection() throws Exception {
    // the embedded test server runs with synchronous_commit = off; make the session's own value on
    try (Connection c = oneConnection.getConnection();
        Statement st = c.createStatement()) {
      st.execute("SET synchronous_commit = on");
    }
    assertThat(synchronousCommit()).isEqualTo("on");
    PostgresJobStore store = PostgresJobStore.create(oneConnection);
    store.open();
    try {
      store.enqueue(List.of(new NewJob("t", "q", "{}", 0, 3, Instant.now(), null, Set.of(), null)));
      List<ClaimedJob> claimed = store.claim("q", 1, "n", Duration.ofSeconds(30));
      assertThat(claimed).hasSize(1);
      assertThat(synchronousCommit()).isEqualTo("on");
      store.heartbeat(
          List.of(new LeaseRef(claimed.get(0).job().id(), claimed.get(0).fence(), 5)),
          Duration.ofSeconds(30));
      assertThat(synchronousCommit()).isEqualTo("on");
      store.rescueExpired(3, 10);
      assertThat(synchronousCommit()).isEqualTo("on");
      assertThat(store.find(claimed.get(0).job().id()).orElseThrow().progress()).isEqualTo(5);
    } finally {
      store.close();
    }
  }

  private static String synchronousCommit() throws Exception {
    try (Connection c = oneConnection.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SHOW synchronous_commit")) {
      rs.next();
      return rs.getString(1);
    }
  }
}
