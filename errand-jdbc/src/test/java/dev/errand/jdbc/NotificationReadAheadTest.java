package dev.errand.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The listener's way around pgjdbc's 1 ms wait after each notification: it works with the pgjdbc
 * Errand ships, loses no notification of a burst, and is undone before the connection goes back.
 */
class NotificationReadAheadTest {
  private static PgTestDatabase db;

  @BeforeAll
  static void createDatabase() {
    db = PgTestDatabase.create();
  }

  @AfterAll
  static void dropDatabase() {
    db.close();
  }

  @Test
  void works_with_the_pgjdbc_errand_is_built_with() throws Exception {
    // if a pgjdbc upgrade renames the fields, this fails instead of wake-ups silently slowing down
    assertThat(NotificationReadAhead.available()).isTrue();
    try (Connection c = db.connect()) {
      assertThat(NotificationReadAhead.apply(c)).isTrue();
      assertThat(NotificationReadAhead.nextCheck(c)).isEqualTo(Long.MAX_VALUE);
      NotificationReadAhead.restore(c);
      assertThat(NotificationReadAhead.nextCheck(c)).isZero();
    }
  }

  @Test
  void every_notification_of_a_burst_is_delivered() throws Exception {
    try (Connection listen = db.connect();
        Connection send = db.connect()) {
      try (Statement st = listen.createStatement()) {
        st.execute("LISTEN burst");
      }
      assertThat(NotificationReadAhead.apply(listen)).isTrue();
      PGConnection pg = listen.unwrap(PGConnection.class);
      List<String> heard = new ArrayList<>();
      for (int round = 0; round < 5; round++) {
        send.setAutoCommit(false);
        try (Statement st = send.createStatement()) {
          for (int i = 0; i < 200; i++) {
            st.execute("NOTIFY burst, '" + round + ":" + i + "'");
          }
        }
        send.commit();
        send.setAutoCommit(true);
        int expected = (round + 1) * 200;
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () -> {
                  PGNotification[] got = pg.getNotifications(200);
                  if (got != null) {
                    for (PGNotification n : got) {
                      heard.add(n.getParameter());
                    }
                  }
                  return heard.size() >= expected;
                });
        assertThat(heard).hasSize(expected);
      }
      assertThat(heard).doesNotHaveDuplicates();
      assertThat(heard.get(0)).isEqualTo("0:0");
      assertThat(heard.get(999)).isEqualTo("4:199");
    }
  }

  @Test
  void the_listener_restores_its_connection_before_giving_it_back() throws Exception {
    try (Connection real = db.connect()) {
      List<String> heard = new CopyOnWriteArrayList<>();
      PostgresListener listener =
          new PostgresListener(
              new OneConnection(real),
              PostgresJobStore.CHANNEL,
              null,
              PostgresListener.THREAD_NAME,
              heard::add,
              null);
      listener.start();
      await().atMost(Duration.ofSeconds(10)).until(listener::isListening);
      assertThat(NotificationReadAhead.nextCheck(real)).isEqualTo(Long.MAX_VALUE);
      try (Connection send = db.connect();
          Statement st = send.createStatement()) {
        st.execute("NOTIFY " + PostgresJobStore.CHANNEL + ", 'mail'");
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> heard.contains("mail"));
      listener.close();
      assertThat(NotificationReadAhead.nextCheck(real)).isZero();
    }
  }

  /** Hands out one real connection whose close is a no-op, as a pool of one would. */
  private static final class OneConnection implements DataSource {
    private final Connection real;

    OneConnection(Connection real) {
      this.real = real;
    }

    @Override
    public Connection getConnection() {
      return (Connection)
          Proxy.newProxyInstance(
              getClass().getClassLoader(),
              new Class<?>[] {Connection.class},
              (proxy, m, args) -> {
                if (m.getName().equals("close")) {
                  return null;
                }
                try {
                  return m.invoke(real, args);
                } catch (java.lang.reflect.InvocationTargetException e) {
                  throw e.getCause();
                }
              });
    }

    @Override
    public Connection getConnection(String user, String password) {
      return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public Logger getParentLogger() {
      return Logger.getGlobal();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return false;
    }
  }
}
