package dev.errand.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.errand.AfterResponseLane;
import dev.errand.RequestScope;
import dev.errand.TaskOptions;
import dev.errand.TaskTransactions;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/** Each after-response task gets its own connection and transaction, on a real SQLite file. */
class TaskTransactionsTest {
  @TempDir Path dir;
  private SQLiteDataSource dataSource;
  private AfterResponseLane lane;

  @BeforeEach
  void database() throws Exception {
    dataSource = new SQLiteDataSource();
    dataSource.setUrl("jdbc:sqlite:" + dir.resolve("app.db"));
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      s.execute("create table audit (entry text not null)");
    }
    lane = AfterResponseLane.builder().threads(1).build();
  }

  @AfterEach
  void stop() {
    lane.shutdown();
  }

  private List<String> entries() throws Exception {
    List<String> rows = new CopyOnWriteArrayList<>();
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select entry from audit order by rowid")) {
      while (rs.next()) {
        rows.add(rs.getString(1));
      }
    }
    return rows;
  }

  private static void insert(Connection c, String entry) throws Exception {
    try (var ps = c.prepareStatement("insert into audit (entry) values (?)")) {
      ps.setString(1, entry);
      ps.executeUpdate();
    }
  }

  @Test
  void each_task_commits_its_own_transaction_on_a_connection_that_is_not_the_requests()
      throws Exception {
    TaskTransactions tx = TaskTransactions.of(dataSource);
    List<Connection> seen = new CopyOnWriteArrayList<>();
    try (Connection request = dataSource.getConnection()) {
      RequestScope scope = lane.openScope("report-created");
      scope.add(
          "audit-1",
          TaskOptions.defaults(),
          tx.task(
              c -> {
                seen.add(c);
                assertThat(c.getAutoCommit()).isFalse();
                insert(c, "one");
                return null;
              }));
      scope.add(
          "audit-fails",
          TaskOptions.defaults(),
          tx.task(
              c -> {
                seen.add(c);
                insert(c, "rolled back");
                throw new IllegalStateException("constraint broken later in the task");
              }));
      scope.add(
          "audit-2",
          TaskOptions.defaults(),
          tx.task(
              c -> {
                seen.add(c);
                insert(c, "two");
                return null;
              }));
      scope.complete();
      await().atMost(Duration.ofSeconds(10)).until(() -> entries().size() == 2);
      assertThat(seen).hasSize(3).doesNotContain(request).doesNotHaveDuplicates();
    }
    assertThat(entries()).containsExactly("one", "two");
    assertThat(seen).allSatisfy(c -> assertThat(c.isClosed()).isTrue());
  }

  @Test
  void in_transaction_rolls_back_and_rethrows_what_the_work_threw() throws Exception {
    TaskTransactions tx = TaskTransactions.of(dataSource);
    assertThatThrownBy(
            () ->
                tx.inTransaction(
                    c -> {
                      insert(c, "gone");
                      throw new IllegalArgumentException("bad report id 7");
                    }))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bad report id 7");
    Integer kept =
        tx.inTransaction(
            c -> {
              insert(c, "kept");
              return 1;
            });
    assertThat(kept).isEqualTo(1);
    assertThat(entries()).containsExactly("kept");
  }
}
