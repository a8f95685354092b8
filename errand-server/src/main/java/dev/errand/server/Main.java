package dev.errand.server;

import dev.errand.examples.Showcase;
import dev.errand.server.config.ConfigException;
import dev.errand.server.config.ServerConfig;
import dev.errand.server.config.ServerLogging;
import dev.errand.server.config.ServerSetting;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Errand server: configured by environment variables and an optional properties file (see
 * {@code docs/server-config.md}), on its embedded SQLite default unless {@code ERRAND_STORE_URL}
 * says otherwise, with the built-in {@code http} job type and alerts. By default ({@code
 * ERRAND_DEMO=true}) it also runs a demo workload, prints live counts, and serves the five
 * reference systems of {@code errand-examples} (each on its own loopback port, listed on {@code
 * /demo}).
 *
 * <pre>
 * java -jar errand-server/target/errand-server.jar [--config FILE] [--db FILE] [--seconds N]
 * </pre>
 *
 * {@code --db FILE} is {@code ERRAND_STORE_URL=jdbc:sqlite:FILE}; {@code --config FILE} is {@code
 * ERRAND_CONFIG_FILE=FILE}; command-line options win over the environment. {@code --seconds 0} (the
 * default) runs until Ctrl-C; the shutdown is graceful. A bad setting stops the start with exit
 * code 2 and a message naming each bad variable.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    Map<ServerSetting, String> options = new EnumMap<>(ServerSetting.class);
    Path configFile = null;
    long seconds = 0;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--db" ->
            options.put(ServerSetting.STORE_URL, "jdbc:sqlite:" + value(args, ++i, "--db"));
        case "--config" -> configFile = Path.of(value(args, ++i, "--config"));
        case "--seconds" -> {
          String v = value(args, ++i, "--seconds");
          try {
            seconds = Long.parseLong(v);
          } catch (NumberFormatException e) {
            seconds = -1;
          }
          if (seconds < 0) {
            usage(
                "--seconds takes a whole number of seconds >= 0 (0 runs until Ctrl-C), got '"
                    + v
                    + "'");
          }
        }
        case "-h", "--help" -> usage(null);
        default -> usage("unknown option '" + args[i] + "'");
      }
    }
    ServerConfig config;
    try {
      config = ServerConfig.load(System.getenv(), configFile, options);
    } catch (ConfigException e) {
      System.err.println("errand server: " + e.getMessage());
      System.err.println("See docs/server-config.md for every setting, its default and its unit.");
      System.exit(2);
      return;
    }
    try {
      run(config, seconds);
    } catch (RuntimeException e) {
      LoggerFactory.getLogger(Main.class)
          .error(
              "errand server: could not start ({}); check ERRAND_STORE_URL and the"
                  + " store's credentials and reachability",
              e.toString(),
              e);
      System.exit(1);
    }
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      usage(option + " needs a value");
    }
    return args[i];
  }

  private static void usage(String problem) {
    if (problem != null) {
      System.err.println("errand server: " + problem);
    }
    System.err.println(
        "usage: java -jar errand-server.jar [--config FILE] [--db FILE] [--seconds N]");
    System.err.println(
        "settings: ERRAND_* environment variables or a .properties file; see docs/server-config.md");
    System.exit(problem == null ? 0 : 2);
  }

  static void run(ServerConfig config, long seconds) throws InterruptedException {
    ServerLogging.apply(config.logging(), config.demo());
    Logger log = LoggerFactory.getLogger(Main.class);
    config.warnings().forEach(w -> log.warn("errand server: {}", w));
    ErrandServer server = ErrandServer.create(config);
    Demo demo = config.demo() ? new Demo(server.errand()) : null;
    Showcase showcase;
    try {
      showcase = config.demo() ? Showcase.start(demoAppsDir(config)) : null;
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Thread main = Thread.currentThread();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  main.interrupt();
                  server.close();
                  if (showcase != null) {
                    showcase.close();
                  }
                  stopped.countDown();
                },
                "errand-server-shutdown"));
    server.start(
        cfg -> {
          if (showcase != null) {
            showcase.mount(cfg, "/dashboard");
          }
        });
    String where =
        config.store().kind() == ServerConfig.StoreKind.SQLITE
            ? config.store().sqliteFile().toAbsolutePath() + " (SQLite)"
            : config.store().url() + " (PostgreSQL)";
    System.out.println(
        "Errand dashboard: " + server.dashboardUrl() + "  (HTTP API: docs/http-api.md)");
    if (showcase != null) {
      System.out.println(
          "Errand demo apps: "
              + server.dashboardUrl().replaceFirst("/dashboard$", "/demo")
              + "  (the five reference systems, docs/examples.md)");
    }
    if (demo != null) {
      System.out.println("Errand demo on " + where + ". Ctrl-C stops it gracefully.");
      demo.run(seconds);
    } else {
      log.info(
          "errand server: running on {}, queues {}; Ctrl-C stops it gracefully",
          where,
          config.queues());
      try {
        if (seconds == 0) {
          stopped.await();
        } else {
          stopped.await(seconds, java.util.concurrent.TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    // Ctrl-C (the shutdown hook) interrupts this thread to end the wait; closing must not see the
    // interrupt, or Jetty's stop fails half-way
    boolean interrupted = Thread.interrupted();
    server.close();
    if (showcase != null) {
      showcase.close();
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Where the demo's example apps keep their files: next to the server's SQLite file ({@code
   * errand-demo.db} → {@code errand-demo-apps/}), or {@code errand-demo-apps/} in the working
   * directory when the server runs on PostgreSQL.
   */
  static Path demoAppsDir(ServerConfig config) {
    if (config.store().kind() == ServerConfig.StoreKind.SQLITE) {
      Path db = config.store().sqliteFile().toAbsolutePath();
      String name = db.getFileName().toString().replaceFirst("\\.db$", "");
      return db.resolveSibling(name + "-apps");
    }
    return Path.of("errand-demo-apps");
  }
}
