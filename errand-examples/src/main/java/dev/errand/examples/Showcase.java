package dev.errand.examples;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.errand.Errand;
import dev.errand.examples.bugtracker.BugTrackerApp;
import dev.errand.examples.bugtracker.BugTrackerConfig;
import dev.errand.examples.civic.CivicApp;
import dev.errand.examples.civic.CivicConfig;
import dev.errand.examples.kitchen.KitchenApp;
import dev.errand.examples.kitchen.KitchenConfig;
import dev.errand.examples.marketplace.MarketplaceApp;
import dev.errand.examples.marketplace.MarketplaceConfig;
import dev.errand.examples.recurring.RecurringTasksApp;
import dev.errand.examples.recurring.RecurringTasksConfig;
import dev.errand.web.ErrandWeb;
import dev.errand.web.WebConfig;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reference systems started side by side, for the Errand server's demo: each app on its own
 * loopback port with its own SQLite file under one data directory (their tables would collide in
 * one file), and, through {@link #mount}, one page that lists them all ({@code /demo}) and a
 * dashboard of each app's own engine under {@code /examples/<id>/dashboard} on the host server. The
 * civic app's emails go to an embedded GreenMail SMTP server on a free loopback port.
 *
 * <p>{@link #close()} stops the dashboards' subscriptions, then each app (its server, then its
 * engine, then its database), then the mail server. An app that fails to start stops the ones
 * started before it and the error says which.
 */
public final class Showcase implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Showcase.class);

  /**
   * One running app as the demo page shows it.
   *
   * @param id short name, also its dashboard's path ({@code /examples/<id>/dashboard})
   * @param name what it is
   * @param seed the source document it rebuilds
   * @param summary the background work it shows, in a sentence
   * @param baseUrl where its own HTTP server answers
   * @param page its browser page, or null when it is an API only
   * @param errand its engine
   * @param durable whether it stores jobs (the marketplace's work is all after-response tasks, so
   *     its engine's dashboard would stay empty)
   * @param tryIt commands to try it with, against {@code baseUrl}
   */
  public record App(
      String id,
      String name,
      String seed,
      String summary,
      String baseUrl,
      String page,
      Errand errand,
      boolean durable,
      List<String> tryIt) {}

  private final List<App> apps = new ArrayList<>();
  private final List<AutoCloseable> closers = new ArrayList<>();
  private final List<ErrandWeb> dashboards = new ArrayList<>();

  private Showcase() {}

  /** Starts every app with its data under {@code dataDir} (created if missing). */
  public static Showcase start(Path dataDir) {
    Objects.requireNonNull(dataDir, "dataDir");
    Showcase s = new Showcase();
    try {
      Files.createDirectories(dataDir);
      s.startAll(dataDir);
      return s;
    } catch (IOException e) {
      s.close();
      throw new UncheckedIOException("cannot create the demo's data directory " + dataDir, e);
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
  }

  private void startAll(Path dir) {
    MarketplaceApp market =
        started(
            "marketplace",
            () ->
                MarketplaceApp.start(
                    MarketplaceConfig.builder()
                        .port(0)
                        .database(() -> ExampleDatabase.sqlite(dir.resolve("marketplace.db")))
                        .build()));
    String m = market.baseUrl();
    add(
        new App(
            "marketplace",
            "Marketplace",
            "000",
            "Every task endpoint answers first; cache invalidation, notifications pushed to"
                + " connected browsers over SSE, the lastAlertedAt update and admin-log inserts run"
                + " after the response on Errand's after-response lane.",
            m,
            null,
            market.errand(),
            false,
            List.of(
                "curl -sN '" + m + "/events?userId=wes' &   # wes's browser: live notifications",
                "curl -s -X POST -H 'X-User-Id: pia' -d '{\"title\":\"Assemble a wardrobe\","
                    + "\"budget\":80}' "
                    + m
                    + "/tasks",
                "curl -s -X POST -H 'X-User-Id: wes' " + m + "/tasks/1/accept")));

    int smtp = freePort();
    GreenMail mail = new GreenMail(new ServerSetup(smtp, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    mail.start();
    closers.add(mail::stop);

    CivicApp civic =
        started(
            "civic reports",
            () ->
                CivicApp.start(
                    CivicConfig.builder(dir.resolve("civic"))
                        .port(0)
                        .smtp("127.0.0.1", smtp)
                        .build()));
    String c = civic.baseUrl();
    add(
        new App(
            "civic",
            "Civic reports",
            "001",
            "Reputation, review queue, audit log, login stats and the OTP text run after the response;"
                + " the verification email (through an SMTP server, GreenMail here) is a durable job"
                + " with retries; expired tokens are cleaned up by a stored schedule.",
            c,
            null,
            civic.errand(),
            true,
            List.of(
                "curl -s -X POST -d '{\"phone\":\"+919876543210\"}' "
                    + c
                    + "/api/v1/auth/request-otp"
                    + "   # the code is in the server log (logging SMS sender)",
                "curl -s -X POST -d '{\"phone\":\"+919876543210\",\"otp\":\"<code>\"}' "
                    + c
                    + "/api/v1/auth/verify-otp   # gives an access token",
                "curl -s -X POST -d '{\"title\":\"Pothole\",\"description\":\"Deep one on Main St\","
                    + "\"latitude\":23.3441,\"longitude\":85.3096,\"severity\":\"medium\"}' "
                    + c
                    + "/api/v1/reports")));

    BugTrackerApp bugs =
        started(
            "bug tracker",
            () ->
                BugTrackerApp.start(
                    BugTrackerConfig.builder(dir.resolve("bugtracker")).port(0).build()));
    String b = bugs.baseUrl();
    add(
        new App(
            "bugtracker",
            "Bug tracker jobs",
            "002",
            "Mention, severity, session and role notifications retry with backoff; media cleanup,"
                + " metric recalculation, cache warming and maintenance run as jobs and schedules.",
            b,
            null,
            bugs.errand(),
            true,
            List.of(
                "curl -s -X POST -H 'X-User-Id: tom' -d '{\"title\":\"Crash\",\"severity\":\"high\","
                    + "\"assigneeId\":\"eve\"}' "
                    + b
                    + "/bugs",
                "curl -s -X POST -H 'X-User-Id: tom' -d '{\"body\":\"@eve please look\"}' "
                    + b
                    + "/bugs/1/comments",
                "curl -s -H 'X-User-Id: eve' "
                    + b
                    + "/inbox   # the mention, delivered by a job")));

    RecurringTasksApp tasks =
        started(
            "recurring tasks",
            () ->
                RecurringTasksApp.start(
                    RecurringTasksConfig.builder()
                        .port(0)
                        .database(() -> ExampleDatabase.sqlite(dir.resolve("recurring-tasks.db")))
                        .build()));
    String t = tasks.baseUrl();
    add(
        new App(
            "recurring",
            "Recurring tasks",
            "003",
            "Daily, weekly and monthly tasks keep their next three occurrences; completion,"
                + " cascade deletion, orphan cleanup and maintenance go through the internal worker"
                + " API, called by jobs that retry and degrade gracefully.",
            t,
            null,
            tasks.errand(),
            true,
            List.of(
                "curl -s -X POST -H 'X-User-Id: me' -d '{\"title\":\"Daily Standup\","
                    + "\"dueDate\":\"2030-02-01T09:00:00Z\",\"repeatType\":\"daily\"}' "
                    + t
                    + "/tasks",
                "curl -s -H 'X-User-Id: me' " + t + "/tasks/1   # the task and its 3 occurrences",
                "curl -s " + t + "/internal/worker/stats")));

    KitchenApp kitchen =
        started(
            "kitchen",
            () -> KitchenApp.start(KitchenConfig.builder(dir.resolve("kitchen")).port(0).build()));
    String k = kitchen.baseUrl();
    add(
        new App(
            "kitchen",
            "Kitchen production",
            "004",
            "The production and write-off dialogs close at once; FIFO allocation, KPIs and balances"
                + " run as a durable job, retried after 2 s and 4 s, and a snackbar reports the"
                + " outcome live.",
            k,
            k + "/",
            kitchen.errand(),
            true,
            List.of(
                "curl -s -X POST -d '{\"preparationId\":\"hummus\",\"quantity\":500,"
                    + "\"userName\":\"Sari\"}' "
                    + k
                    + "/api/production",
                "curl -s " + k + "/api/tasks")));
  }

  private <T extends AutoCloseable> T started(String what, Supplier<T> start) {
    T app;
    try {
      app = start.get();
    } catch (RuntimeException e) {
      throw new IllegalStateException("the demo's " + what + " app did not start: " + e, e);
    }
    closers.add(app);
    return app;
  }

  private void add(App app) {
    apps.add(app);
    log.info("demo app {} ({}): {}", app.name(), app.seed(), app.baseUrl());
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port for the demo's SMTP server", e);
    }
  }

  /** The running apps, in seed order. */
  public List<App> apps() {
    return apps.stream().sorted(java.util.Comparator.comparing(App::seed)).toList();
  }

  /**
   * Adds to a host server's configuration the page {@code GET /demo} that lists every app (with
   * {@code dashboardUrl}, the host's own dashboard, for the host's jobs), and each app's dashboard
   * and API under {@code /examples/<id>/} (loopback clients only, like an Errand server without
   * keys).
   */
  public synchronized void mount(JavalinConfig cfg, String dashboardUrl) {
    for (App a : apps) {
      if (!a.durable()) {
        continue;
      }
      ErrandWeb web =
          ErrandWeb.create(
              a.errand(),
              WebConfig.builder().pathPrefix("/examples/" + a.id()).metrics(false).build());
      web.mount(cfg);
      dashboards.add(web);
    }
    cfg.routes.get("/demo", ctx -> page(ctx, dashboardUrl));
  }

  private void page(Context ctx, String dashboardUrl) {
    ctx.contentType("text/html; charset=utf-8").result(ShowcasePage.render(apps(), dashboardUrl));
  }

  /** Stops everything started, newest first; idempotent and safe from a shutdown hook. */
  @Override
  public synchronized void close() {
    for (ErrandWeb w : dashboards) {
      w.close();
    }
    dashboards.clear();
    List<AutoCloseable> reverse = new ArrayList<>(closers);
    java.util.Collections.reverse(reverse);
    for (AutoCloseable c : reverse) {
      try {
        c.close();
      } catch (Exception e) {
        log.warn("stopping a demo app failed", e);
      }
    }
    closers.clear();
  }
}
