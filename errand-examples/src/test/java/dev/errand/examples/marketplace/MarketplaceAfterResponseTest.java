package dev.errand.examples.marketplace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.errand.Errand;
import dev.errand.examples.TestHttp;
import dev.errand.servlet.ServletEvents;
import io.javalin.Javalin;
import io.javalin.json.JavalinJackson;
import jakarta.servlet.DispatcherType;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The after-response lane under the marketplace: the order of the response and the background work
 * (recorded by a servlet filter, by the background work itself and by the client; asserted as an
 * order, never as timings), and background work that fails.
 */
class MarketplaceAfterResponseTest extends MarketplaceTestBase {
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger laneLog = (Logger) LoggerFactory.getLogger("errand.after");
  private Javalin mounted;

  @BeforeEach
  void captureLaneLog() {
    logs.start();
    laneLog.addAppender(logs);
  }

  @AfterEach
  void stopMounted() throws IOException {
    laneLog.detachAppender(logs);
    stop(); // the app first: it ends the event streams that hold the mounted server's requests
    if (mounted != null) {
      mounted.stop();
    }
  }

  @Override
  String baseUrl() {
    return mounted != null ? "http://127.0.0.1:" + mounted.port() : app.baseUrl();
  }

  /** The app mounted on a server of the test's own, with the recording filter in front. */
  private void mount(MarketplaceConfig.Builder config) {
    mount(config, true);
  }

  private void mount(MarketplaceConfig.Builder config, boolean plugin) {
    MarketplaceApp created = MarketplaceApp.create(config.build());
    mounted =
        Javalin.create(
                cfg -> {
                  cfg.jsonMapper(new JavalinJackson(Errand.defaultMapper(), false));
                  cfg.startup.showJavalinBanner = false;
                  cfg.jetty.modifyServletContextHandler(
                      h ->
                          h.addFilter(
                              new FilterHolder(new ServletEvents(events)),
                              "/*",
                              EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC)));
                  if (plugin) {
                    cfg.registerPlugin(created.afterResponsePlugin());
                  }
                  created.routes(cfg.routes);
                })
            .start("127.0.0.1", 0);
    clients(created, baseUrl());
  }

  @Test
  void the_client_has_the_whole_response_before_the_background_work_starts() throws Exception {
    CountDownLatch clientHasResponse = new CountDownLatch(1);
    mount(
        config()
            .wrapCache(
                cache ->
                    new ForwardingCache(cache) {
                      @Override
                      public void invalidate(Collection<String> keys) {
                        events.add("cache invalidated");
                        super.invalidate(keys);
                      }
                    })
            .wrapNotifications(
                n ->
                    new ForwardingNotifications(n) {
                      @Override
                      public void broadcast(Notification note) {
                        events.add("task started");
                        try {
                          // holds the broadcast until the client has the response (or 20 s pass)
                          clientHasResponse.await(20, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                        }
                        super.broadcast(note);
                        events.add("task finished");
                      }
                    }));
    EventClient wes = connect("wes");

    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(baseUrl() + "/tasks"))
                .header("X-User-Id", "pia")
                .POST(HttpRequest.BodyPublishers.ofString("{\"title\":\"Paint\",\"budget\":40}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    events.add("response complete");
    clientHasResponse.countDown();

    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(r.body()).contains("\"title\":\"Paint\"").endsWith("}");
    await().atMost(WAIT).until(() -> events.contains("task finished"));
    ServletEvents.assertResponseCameFirst(events);
    assertThat(events)
        .containsExactlyInAnyOrder(
            "response closed",
            "cache invalidated",
            "task started",
            "response complete",
            "task finished");
    assertThat(events.indexOf("response closed"))
        .as("the first background task started after the last byte was sent: %s", events)
        .isLessThan(events.indexOf("cache invalidated"));
    assertThat(events.indexOf("cache invalidated"))
        .as("the request's tasks ran in the order added: %s", events)
        .isLessThan(events.indexOf("task started"));
    await()
        .atMost(WAIT)
        .until(() -> wes.events().stream().anyMatch(e -> e.name().equals("newTask")));
  }

  @Test
  void stopping_the_app_ends_the_open_event_streams() {
    MarketplaceApp running = start(config());
    EventClient wes = connect("wes");

    running.close();
    app = null;

    await().atMost(WAIT).until(wes::ended);
  }

  @Test
  void a_closed_notification_stream_refuses_new_browsers_with_a_503() {
    start(config());
    app.streams().close();

    TestHttp.Response r = kim.get("/events");

    assertError(r, 503, "Unavailable", "the marketplace is stopping; reconnect later");
  }

  @Test
  void a_server_without_the_plugin_is_refused_before_anything_is_written() {
    mount(config(), false);

    TestHttp.Response r = pia.post("/tasks", "{\"title\":\"Paint\",\"budget\":40}");

    assertError(r, 500, "InternalError", "register app.afterResponsePlugin() on this server");
    assertThat(pia.get("/tasks").json()).isEmpty();
  }

  @Test
  void a_failing_notification_push_leaves_the_response_2xx_is_logged_counted_and_skipped() {
    start(
        config()
            .wrapNotifications(
                n ->
                    new ForwardingNotifications(n) {
                      @Override
                      public void send(String userId, Notification note) {
                        if (note.event().equals("taskAccepted")) {
                          throw new IllegalStateException("push gateway down");
                        }
                        super.send(userId, note);
                      }
                    }));
    EventClient poster = connect("pia");
    long id = post(pia, "Fix a tap", 30);

    TestHttp.Response r = wes.post("/tasks/" + id + "/accept", "");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("status").asText()).isEqualTo("accepted");
    await().atMost(WAIT).until(() -> poster.received("taskStatusChanged", id));
    assertThat(poster.received("taskAccepted", id)).isFalse();
    await().atMost(WAIT).until(() -> laneTasks("failed") == 1);
    assertThat(failures())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getFormattedMessage()).contains("notify-task-accepted");
              assertThat(e.getThrowableProxy().getMessage()).isEqualTo("push gateway down");
            });
    long next = post(pia, "Fix a door", 30);
    await().atMost(WAIT).until(() -> poster.received("newTask", next));
  }

  @Test
  void a_failing_cache_invalidation_leaves_the_response_2xx_and_the_next_tasks_run() {
    start(
        config()
            .wrapCache(
                cache ->
                    new ForwardingCache(cache) {
                      @Override
                      public void invalidate(Collection<String> keys) {
                        throw new IllegalStateException("cache node unreachable");
                      }
                    }));
    EventClient wes = connect("wes");

    TestHttp.Response r = pia.post("/tasks", "{\"title\":\"Move a sofa\",\"budget\":60}");

    assertThat(r.status()).isEqualTo(201);
    long id = r.json().get("id").asLong();
    await().atMost(WAIT).until(() -> wes.received("newTask", id));
    await().atMost(WAIT).until(() -> laneTasks("failed") == 1);
    await().atMost(WAIT).until(() -> laneTasks("succeeded") == 2); // lastAlertedAt, broadcast
    assertThat(failures())
        .singleElement()
        .satisfies(e -> assertThat(e.getFormattedMessage()).contains("invalidate-task-cache"));
    assertThat(task(id).get("lastAlertedAt").isNull()).isFalse();
  }

  /** The WARN lines of the lane, once there is one. */
  private List<ILoggingEvent> failures() {
    await().atMost(WAIT).until(() -> !warnings().isEmpty());
    return warnings();
  }

  private List<ILoggingEvent> warnings() {
    synchronized (logs) { // AppenderBase appends holding the appender's monitor
      return logs.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
    }
  }

  /** Forwards every call; tests override one. */
  private static class ForwardingNotifications implements Notifications {
    private final Notifications delegate;

    ForwardingNotifications(Notifications delegate) {
      this.delegate = delegate;
    }

    @Override
    public void send(String userId, Notification n) {
      delegate.send(userId, n);
    }

    @Override
    public void broadcast(Notification n) {
      delegate.broadcast(n);
    }
  }

  /** Forwards every call; tests override one. */
  private static class ForwardingCache implements TaskCache {
    private final TaskCache delegate;

    ForwardingCache(TaskCache delegate) {
      this.delegate = delegate;
    }

    @Override
    public <T> Lookup<T> get(String key, Supplier<T> loader) {
      return delegate.get(key, loader);
    }

    @Override
    public void invalidate(Collection<String> keys) {
      delegate.invalidate(keys);
    }

    @Override
    public boolean contains(String key) {
      return delegate.contains(key);
    }
  }
}
