package dev.errand.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Versioned schema migrations shipped as plain SQL in this jar under {@code
 * dev/errand/jdbc/migrations/DIALECT/}: {@code index.txt} lists the files in order, each named
 * {@code V<n>__<description>.sql}. Applied versions are recorded in {@code errand_schema_version}.
 * Teams with their own migration tool copy those files and open stores with {@link
 * SchemaMode#NONE}.
 */
public final class Migrations {
  private static final String TABLE = "errand_schema_version";

  /** One migration script. */
  public record Script(int version, String name, String sql) {}

  private Migrations() {}

  /** Every script for {@code dialect} ("sqlite" or "postgresql"), in version order. */
  public static List<Script> scripts(String dialect) {
    String base = "/dev/errand/jdbc/migrations/" + dialect + "/";
    String index = read(base + "index.txt");
    List<Script> out = new ArrayList<>();
    for (String line : index.split("\n")) {
      String name = line.trim();
      if (name.isEmpty() || name.startsWith("#")) {
        continue;
      }
      int version = Integer.parseInt(name.substring(1, name.indexOf("__")));
      out.add(new Script(version, name, read(base + name)));
    }
    return out;
  }

  /** Versions not yet applied on {@code c}. Reads only; the version table may be missing. */
  public static List<Script> pending(Connection c, String dialect) throws SQLException {
    Set<Integer> applied = applied(c);
    List<Script> out = new ArrayList<>();
    for (Script s : scripts(dialect)) {
      if (!applied.contains(s.version())) {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * Applies pending scripts on {@code c}, which must be in a transaction in which the caller holds
   * the migration lock; the caller commits.
   *
   * @return the scripts applied
   */
  public static List<Script> apply(Connection c, String dialect) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(
          "CREATE TABLE IF NOT EXISTS "
              + TABLE
              + " (version INTEGER PRIMARY KEY,"
              + " name VARCHAR(200) NOT NULL, applied_at VARCHAR(40) NOT NULL)");
    }
    List<Script> pending = pending(c, dialect);
    for (Script s : pending) {
      try (Statement st = c.createStatement()) {
        for (String sql : statements(s.sql())) {
          st.execute(sql);
        }
      } catch (SQLException e) {
        throw new SQLException(
            "migration " + s.name() + " failed: " + e.getMessage(), e.getSQLState(), e);
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO " + TABLE + " (version, name, applied_at) VALUES (?, ?, ?)")) {
        ps.setInt(1, s.version());
        ps.setString(2, s.name());
        ps.setString(3, java.time.Instant.now().toString());
        ps.executeUpdate();
      }
    }
    return pending;
  }

  private static Set<Integer> applied(Connection c) throws SQLException {
    Set<Integer> out = new HashSet<>();
    DatabaseMetaData md = c.getMetaData();
    boolean exists;
    try (ResultSet rs = md.getTables(null, null, TABLE, null)) {
      exists = rs.next();
    }
    if (!exists) {
      return out;
    }
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT version FROM " + TABLE)) {
      while (rs.next()) {
        out.add(rs.getInt(1));
      }
    }
    return out;
  }

  /** Splits a script on semicolons that end a line; {@code --} comment lines are dropped. */
  static List<String> statements(String script) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (String line : script.split("\n")) {
      String t = line.strip();
      if (t.startsWith("--") || t.isEmpty()) {
        continue;
      }
      cur.append(line).append('\n');
      if (t.endsWith(";")) {
        String sql = cur.toString().strip();
        out.add(sql.substring(0, sql.length() - 1));
        cur.setLength(0);
      }
    }
    if (!cur.toString().isBlank()) {
      out.add(cur.toString().strip());
    }
    return out;
  }

  private static String read(String resource) {
    try (InputStream in = Migrations.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource + " in errand-jdbc");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + resource, e);
    }
  }
}
