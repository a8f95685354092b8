package dev.errand.bench;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;

/**
 * A profiling aid, off by default: with {@code -Derrand.bench.traceSql=true} every system's
 * DataSource is wrapped so that each statement execution and each commit is timed on the client
 * side (round trip plus server time), and a summary by SQL text is printed to standard error when
 * the database is closed. It tells where a system's time goes between JVM and database without
 * touching the system's code.
 */
final class StatementTimer {
  static final boolean ENABLED = Boolean.getBoolean("errand.bench.traceSql");

  private record Stat(LongAdder count, LongAdder nanos) {}

  private final Map<String, Stat> stats = new ConcurrentHashMap<>();

  DataSource wrap(DataSource ds) {
    return (DataSource)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {DataSource.class},
            (proxy, m, args) -> {
              Object r = invoke(ds, m, args);
              return r instanceof Connection c ? connection(c) : r;
            });
  }

  private Connection connection(Connection c) {
    return (Connection)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {Connection.class},
            (proxy, m, args) -> {
              if (m.getName().equals("commit") || m.getName().equals("rollback")) {
                return timed(m.getName().toUpperCase(Locale.ROOT), () -> invoke(c, m, args));
              }
              Object r = invoke(c, m, args);
              if (r instanceof Statement s && m.getReturnType().isInterface()) {
                String sql =
                    args != null && args.length > 0 && args[0] instanceof String q ? q : null;
                return statement(s, m.getReturnType(), sql);
              }
              return r;
            });
  }

  private Object statement(Statement s, Class<?> type, String preparedSql) {
    InvocationHandler h =
        (proxy, m, args) -> {
          if (m.getName().startsWith("execute")) {
            String sql =
                args != null && args.length > 0 && args[0] instanceof String q ? q : preparedSql;
            return timed(sql == null ? "(batch)" : sql, () -> invoke(s, m, args));
          }
          return invoke(s, m, args);
        };
    return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {type}, h);
  }

  private interface Call {
    Object run() throws Throwable;
  }

  private Object timed(String key, Call call) throws Throwable {
    long t0 = System.nanoTime();
    try {
      return call.run();
    } finally {
      Stat st =
          stats.computeIfAbsent(
              key.replaceAll("\\s+", " ").trim(), k -> new Stat(new LongAdder(), new LongAdder()));
      st.count().increment();
      st.nanos().add(System.nanoTime() - t0);
    }
  }

  private static Object invoke(Object target, Method m, Object[] args) throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  /** Statements by total time, most first. */
  String summary(String title) {
    List<Map.Entry<String, Stat>> rows = new ArrayList<>(stats.entrySet());
    rows.sort((a, b) -> Long.compare(b.getValue().nanos().sum(), a.getValue().nanos().sum()));
    StringBuilder sb =
        new StringBuilder(
            "statement timings for " + title + " (client side: count, total ms, mean µs, SQL):\n");
    for (Map.Entry<String, Stat> e : rows) {
      long n = e.getValue().count().sum();
      long ns = e.getValue().nanos().sum();
      String sql = e.getKey().length() > 160 ? e.getKey().substring(0, 160) + "…" : e.getKey();
      sb.append(
          String.format(Locale.ROOT, "  %8d %10.1f %9.1f  %s%n", n, ns / 1e6, ns / 1e3 / n, sql));
    }
    return sb.toString();
  }
}
