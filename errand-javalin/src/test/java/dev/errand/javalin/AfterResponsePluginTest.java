package dev.errand.javalin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.errand.AfterResponse;
import dev.errand.AfterResponseLane;
import dev.errand.Errand;
import dev.errand.JobState;
import dev.errand.JobType;
import dev.errand.MemoryJobStore;
import dev.errand.servlet.ServletEvents;
import io.javalin.Javalin;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.servlet.DispatcherType;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The plugin over a real socket. Events are recorded by the task, by a servlet filter in front of
 * the plugin's ("response closed", when Jetty has taken the last byte) and by the client; the
 * assertions are on their order, never on timings.
 */
class AfterResponsePluginTest {
  record Welcome(String email) {}

  private final List<String> events = new CopyOnWriteArrayList<>();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final HttpClient client = HttpClient.newHttpClient();
  private Errand errand;
  private JobType<Welcome> welcome;
  private AfterResponseLane lane;
  private Javalin app;

  @BeforeEach
  void start() {
    errand = Errand.builder().store(MemoryJobStore.create()).meterRegistry(registry).build();
    welcome = errand.register(JobType.of("welcome", Welcome.class, (ctx, w) -> {}));
    lane = AfterResponseLane.builder().errand(errand).threads(2).build();
    app =
        Javalin.create(
            config -> {
              config.jetty.modifyServletContextHandler(
                  h ->
                      h.addFilter(
                          new FilterHolder(new ServletEvents(events)),
                          "/*",
                          EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC)));
              config.registerPlugin(AfterResponsePlugin.of(lane));
              config.routes.get(
                  "/slow",
                  ctx -> {
                    AfterResponse.run("slow-task", ServletEvents.twoSecondTask(events));
                    ctx.result("created");
                    events.add("handler returned");
                  });
              config.routes.get(
                  "/future",
                  ctx ->
                      ctx.future(
                          () ->
                              CompletableFuture.supplyAsync(
                                      () -> {
                                        AfterResponsePlugin.scope(ctx)
                                            .orElseThrow()
                                            .add(
                                                "future-task", () -> events.add("future task ran"));
                                        events.add("future done");
                                        return "later";
                                      })
                                  .thenAccept(ctx::result)));
              config.routes.get(
                  "/failing-task",
                  ctx -> {
                    AfterResponse.run(
                        "send-receipt",
                        () -> {
                          throw new IllegalStateException("smtp down");
                        });
                    AfterResponse.run("after-receipt", () -> events.add("after-receipt ran"));
                    ctx.result("ok");
                  });
              config.routes.get(
                  "/throws",
                  ctx -> {
                    AfterResponse.run("before-throw", () -> events.add("before-throw ran"));
                    throw new IllegalStateException("handler broke");
                  });
              config.routes.get(
                  "/durable",
                  ctx ->
                      ctx.result(
                          Long.toString(
                              AfterResponse.run(welcome, new Welcome("a@example.com")).id())));
            });
    app.start("127.0.0.1", 0);
  }

  @AfterEach
  void stop() {
    app.stop();
    lane.shutdown();
    errand.close();
  }

  private HttpResponse<String> get(String path, String requestId) throws Exception {
    return ServletEvents.get(client, app.port(), path, requestId, events);
  }

  private double tasks(String outcome) {
    return registry.get("errand.after.tasks").tag("outcome", outcome).counter().count();
  }

  @Test
  void the_client_has_the_whole_response_before_a_two_second_task_finishes() throws Exception {
    HttpResponse<String> response = get("/slow", null);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("created");
    await().atMost(Duration.ofSeconds(20)).until(() -> events.contains("task finished"));
    assertThat(events).hasSize(5).contains("handler returned");
    ServletEvents.assertResponseCameFirst(events);
  }

  @Test
  void a_future_request_hands_its_tasks_over_when_it_completes() throws Exception {
    assertThat(get("/future", null).body()).isEqualTo("later");
    await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("future task ran"));
    assertThat(events.indexOf("future done")).isLessThan(events.indexOf("future task ran"));
  }

  @Test
  void a_failing_task_is_counted_and_does_not_stop_the_next_one() throws Exception {
    assertThat(get("/failing-task", "req-9").body()).isEqualTo("ok");
    await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("after-receipt ran"));
    await().atMost(Duration.ofSeconds(10)).until(() -> tasks("failed") == 1);
    assertThat(tasks("succeeded")).isEqualTo(1);
  }

  @Test
  void a_durable_task_is_stored_before_the_client_has_the_response() throws Exception {
    long id = Long.parseLong(get("/durable", null).body());
    assertThat(errand.job(id))
        .get()
        .satisfies(j -> assertThat(j.state()).isEqualTo(JobState.QUEUED));
  }

  @Test
  void an_exception_javalin_turns_into_a_500_still_runs_the_tasks_as_documented() throws Exception {
    assertThat(get("/throws", null).statusCode()).isEqualTo(500);
    await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("before-throw ran"));
  }

  @Test
  void the_plugin_needs_a_lane() {
    assertThatThrownBy(
            () -> Javalin.create(c -> c.registerPlugin(new AfterResponsePlugin(p -> {}))))
        .hasStackTraceContaining("AfterResponsePlugin needs a lane");
  }
}
