package dev.errand.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.errand.Errand;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.json.JavalinJackson;
import io.javalin.router.JavalinDefaultRoutingApi;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every example app does with its HTTP server: start it, name its URL, stop the app in order.
 */
public final class ExampleServer {
  private static final Logger log = LoggerFactory.getLogger(ExampleServer.class);

  private ExampleServer() {}

  /**
   * A started Javalin server on {@code host:port} (0 for any free port) serving {@code routes} as
   * JSON.
   */
  public static Javalin start(
      ObjectMapper mapper, String host, int port, Consumer<JavalinDefaultRoutingApi> routes) {
    return startConfigured(mapper, host, port, cfg -> routes.accept(cfg.routes));
  }

  /**
   * Like {@link #start(ObjectMapper, String, int, Consumer)}, with {@code configure} applied to the
   * server's configuration before the routes are added (to register plugins, such as
   * errand-javalin's {@code AfterResponsePlugin}).
   */
  public static Javalin start(
      ObjectMapper mapper,
      String host,
      int port,
      Consumer<JavalinConfig> configure,
      Consumer<JavalinDefaultRoutingApi> routes) {
    return startConfigured(
        mapper,
        host,
        port,
        cfg -> {
          configure.accept(cfg);
          routes.accept(cfg.routes);
        });
  }

  /**
   * Like {@link #start} for an app that configures more than routes (a plugin such as errand's
   * after-response plugin): {@code configure} gets the whole configuration.
   */
  public static Javalin startConfigured(
      ObjectMapper mapper, String host, int port, Consumer<JavalinConfig> configure) {
    return Javalin.create(
            cfg -> {
              cfg.jsonMapper(new JavalinJackson(mapper, false));
              cfg.startup.showJavalinBanner = false;
              configure.accept(cfg);
            })
        .start(host, port);
  }

  /**
   * Finishes starting a new {@code app} with {@code steps} (start its server, its workers, its
   * schedules); if a step fails the app is closed before the error goes on, so a failed start
   * leaves no server, engine or database open.
   */
  public static <A extends AutoCloseable> A launch(A app, Consumer<A> steps) {
    try {
      steps.accept(app);
      return app;
    } catch (RuntimeException | Error e) {
      try {
        app.close();
      } catch (Exception suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** {@code http://host:port} of {@code server}. */
  public static String baseUrl(Javalin server, String host) {
    if (server == null) {
      throw new IllegalStateException("this app has no server of its own (made with create())");
    }
    return "http://" + host + ":" + server.port();
  }

  /**
   * Stops an app: its server first (no new requests), then its alert subscription, then its Errand
   * engine (running jobs finish within the shutdown grace), then its database.
   */
  public static void stop(
      Javalin server, AutoCloseable alertWatch, Errand errand, ExampleDatabase db) {
    if (server != null) {
      server.stop();
    }
    try {
      alertWatch.close();
    } catch (Exception e) {
      log.warn("closing the alert subscription failed", e);
    }
    errand.close();
    db.close();
  }
}
