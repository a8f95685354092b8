package dev.errand.spring;

import dev.errand.jdbc.PostgresJobStore;
import dev.errand.jdbc.SqliteJobStore;
import dev.errand.spi.JobStore;
import dev.errand.spring.ErrandProperties.StoreKind;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the job store on the application's DataSource: PostgreSQL or SQLite, detected from {@link
 * DatabaseMetaData#getDatabaseProductName()} unless {@code errand.store} names one.
 */
final class JobStores {
  private static final Logger log = LoggerFactory.getLogger(JobStores.class);

  private JobStores() {}

  /** What the DataSource turned out to be, read once from one connection. */
  record Detected(StoreKind kind, String product, String url, Path sqliteFile) {}

  static JobStore create(DataSource dataSource, ErrandProperties props) {
    Detected d = detect(dataSource, props);
    return switch (d.kind()) {
      case POSTGRES -> {
        log.info(
            "errand: PostgreSQL job store on the application's DataSource ({}), schema mode {}",
            d.url(),
            props.getSchemaMode());
        yield PostgresJobStore.builder(dataSource).schemaMode(props.getSchemaMode()).build();
      }
      case SQLITE -> {
        ErrandProperties.Sqlite s = props.getSqlite();
        log.info(
            "errand: SQLite job store on the application's database file {} (synchronous {},"
                + " busy timeout {}, schema mode {})",
            d.sqliteFile(),
            s.getSynchronous(),
            s.getBusyTimeout(),
            props.getSchemaMode());
        yield SqliteJobStore.builder(d.sqliteFile())
            .schemaMode(props.getSchemaMode())
            .synchronous(s.getSynchronous())
            .busyTimeout(s.getBusyTimeout())
            .readConnections(s.getReadConnections())
            .build();
      }
      case AUTO -> throw new IllegalStateException("unreachable: detect() resolves AUTO");
    };
  }

  static Detected detect(DataSource dataSource, ErrandProperties props) {
    try (Connection c = dataSource.getConnection()) {
      DatabaseMetaData md = c.getMetaData();
      String product = md.getDatabaseProductName();
      String url = md.getURL();
      StoreKind kind = props.getStore();
      if (kind == StoreKind.AUTO) {
        kind = kindOf(product, url);
      }
      if (kind != StoreKind.SQLITE) {
        return new Detected(kind, product, url, null);
      }
      if (!"SQLite".equalsIgnoreCase(product)) {
        throw new IllegalStateException(
            "errand.store=sqlite, but the application's DataSource is "
                + product
                + " ("
                + url
                + "); remove errand.store to detect the store, or point"
                + " spring.datasource.url at a SQLite file");
      }
      Path file = sqliteFile(c, url);
      if (props.getSqlite().isRequireImmediateTransactions()) {
        SqliteConnections.requireImmediate(c, url);
      }
      return new Detected(kind, product, url, file);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "errand: cannot read the application's DataSource to choose a"
              + " job store (SQLState "
              + e.getSQLState()
              + "): "
              + e.getMessage()
              + "; check spring.datasource.*, or define a JobStore bean",
          e);
    }
  }

  private static StoreKind kindOf(String product, String url) {
    String p = product == null ? "" : product.toLowerCase(Locale.ROOT);
    if (p.contains("postgresql")) {
      return StoreKind.POSTGRES;
    }
    if (p.equals("sqlite")) {
      return StoreKind.SQLITE;
    }
    throw new IllegalStateException(
        "errand: the application's DataSource is "
            + product
            + " ("
            + url
            + "), and Errand's JDBC stores are PostgreSQL and SQLite; point the DataSource at one"
            + " of them, or define a JobStore bean (errand.enabled=false turns Errand off)");
  }

  /** The file of the connection's main database; refuses in-memory and temporary databases. */
  private static Path sqliteFile(Connection c, String url) throws SQLException {
    String file = null;
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("PRAGMA database_list")) {
      while (rs.next()) {
        if ("main".equals(rs.getString("name"))) {
          file = rs.getString("file");
        }
      }
    }
    if (file == null || file.isEmpty()) {
      throw new IllegalStateException(
          "errand: the application's SQLite database ("
              + url
              + ") is"
              + " in memory or temporary, so Errand's store cannot open it; use a file, e.g."
              + " spring.datasource.url=jdbc:sqlite:/var/lib/app/app.db?transaction_mode=IMMEDIATE");
    }
    return Path.of(file);
  }
}
