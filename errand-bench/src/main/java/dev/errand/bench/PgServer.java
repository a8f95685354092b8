package dev.errand.bench;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The local PostgreSQL server the benchmark runs on. It creates a fresh database for every measured
 * run of every system ({@code DROP DATABASE … WITH (FORCE)} then {@code CREATE DATABASE}) and drops
 * it afterwards, so no run sees another's rows, dead tuples or statistics. Only loopback servers
 * are accepted.
 */
final class PgServer {
  private static final Pattern URL =
      Pattern.compile("^(jdbc:postgresql://)([^/?]*)/([^?]*)(\\?.*)?$");
  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  private final String adminUrl;
  private final String prefix;
  private final String host;
  private final String params;

  /**
   * @param url a {@code jdbc:postgresql://HOST[:PORT]/DATABASE[?PARAMS]} URL of a loopback server;
   *     its database is used only to create and drop the benchmark's databases
   * @throws IllegalArgumentException if the URL does not parse or the host is not loopback
   */
  PgServer(String url) {
    Matcher m = URL.matcher(url);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "--pg-url '"
              + url
              + "' is not of the form"
              + " jdbc:postgresql://127.0.0.1:5432/DATABASE?user=USER");
    }
    this.adminUrl = url;
    this.prefix = m.group(1);
    this.host = m.group(2);
    this.params = m.group(4) == null ? "" : m.group(4);
    requireLoopback(host);
  }

  private static void requireLoopback(String hostAndPort) {
    String h = hostAndPort;
    if (h.startsWith("[")) {
      h = h.substring(1, h.indexOf(']'));
    } else if (h.indexOf(':') >= 0) {
      h = h.substring(0, h.indexOf(':'));
    }
    if (h.isEmpty()) {
      return; // the driver's default, localhost
    }
    try {
      for (InetAddress a : InetAddress.getAllByName(h)) {
        if (!a.isLoopbackAddress()) {
          throw new IllegalArgumentException(
              "--pg-url host '"
                  + h
                  + "' resolves to "
                  + a
                  + ", which is not a loopback address; the benchmark only talks to this machine");
        }
      }
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("--pg-url host '" + h + "' does not resolve", e);
    }
  }

  /** The JDBC URL of database {@code name} on this server, with the admin URL's parameters. */
  String urlFor(String name) {
    return prefix + host + "/" + name + params;
  }

  Connection admin() throws SQLException {
    return DriverManager.getConnection(adminUrl);
  }

  /** Drops database {@code name} if it exists and creates it empty. */
  Database fresh(String name) throws SQLException {
    requireName(name);
    try (Connection c = admin();
        Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      st.execute("CREATE DATABASE " + name);
    }
    return Database.postgres(this, name, urlFor(name));
  }

  /** Drops database {@code name}, ending its sessions. */
  void drop(String name) throws SQLException {
    requireName(name);
    try (Connection c = admin();
        Statement st = c.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }

  /** Drops every database whose name starts with {@code prefix} (left over by a killed run). */
  void dropAll(String prefix) throws SQLException {
    requireName(prefix);
    try (Connection c = admin();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT datname FROM pg_database")) {
      List<String> names = new java.util.ArrayList<>();
      while (rs.next()) {
        if (rs.getString(1).startsWith(prefix + "_")) {
          names.add(rs.getString(1));
        }
      }
      for (String n : names) {
        drop(n);
      }
    }
  }

  /** {@code SELECT version()} and the settings that decide commit cost. */
  Map<String, String> facts() throws SQLException {
    Map<String, String> out = new LinkedHashMap<>();
    try (Connection c = admin();
        Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT version()")) {
        rs.next();
        out.put("version", rs.getString(1));
      }
      for (String s :
          List.of(
              "fsync",
              "synchronous_commit",
              "wal_sync_method",
              "shared_buffers",
              "max_connections",
              "autovacuum")) {
        try (ResultSet rs = st.executeQuery("SHOW " + s)) {
          rs.next();
          out.put(s, rs.getString(1));
        }
      }
    }
    return out;
  }

  private static void requireName(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("database name '" + name + "' must match " + NAME);
    }
  }
}
