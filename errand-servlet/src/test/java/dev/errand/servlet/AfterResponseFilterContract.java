package dev.errand.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.errand.AfterResponse;
import dev.errand.AfterResponseLane;
import dev.errand.Errand;
import dev.errand.JobState;
import dev.errand.JobType;
import dev.errand.MemoryJobStore;
import dev.errand.RequestScope;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The filter's behaviour over a real socket, run against each servlet container by a subclass.
 * Events are recorded by the task, by a filter in front of the errand filter ("response closed")
 * and by the client; the assertions are on their order, never on timings.
 */
abstract class AfterResponseFilterContract {
  record Welcome(String email) {}

  protected final List<String> events = new CopyOnWriteArrayList<>();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final Logger laneLog = (Logger) LoggerFactory.getLogger("errand.after");
  private final HttpClient client = HttpClient.newHttpClient();
  private Errand errand;
  private JobType<Welcome> welcome;
  private AfterResponseLane lane;
  private int port;

  /** Starts the container on a free port with {@code filters} in order before {@code servlet}. */
  protected abstract int start(List<Filter> filters, HttpServlet servlet) throws Exception;

  protected abstract void stop() throws Exception;

  @BeforeEach
  void startServer() throws Exception {
    appender.start();
    laneLog.addAppender(appender);
    errand = Errand.builder().store(MemoryJobStore.create()).meterRegistry(registry).build();
    welcome = errand.register(JobType.of("welcome", Welcome.class, (ctx, w) -> {}));
    lane = AfterResponseLane.builder().errand(errand).threads(2).build();
    port = start(List.of(new ServletEvents(events), new AfterResponseFilter(lane)), new App());
  }

  @AfterEach
  void stopServer() throws Exception {
    stop();
    lane.shutdown();
    errand.close();
    laneLog.detachAppender(appender);
  }

  private HttpResponse<String> get(String path, String requestId) throws Exception {
    return ServletEvents.get(client, port, path, requestId, events);
  }

  private double tasks(String outcome) {
    return registry.get("errand.after.tasks").tag("outcome", outcome).counter().count();
  }

  /** The test application's endpoints. */
  private final class App extends HttpServlet {
    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      switch (req.getRequestURI()) {
        case "/slow":
          AfterResponse.run("slow-task", ServletEvents.twoSecondTask(events));
          resp.setContentType("text/plain");
          resp.getOutputStream().write("created".getBytes(StandardCharsets.UTF_8)); // chunked
          return;
        case "/async":
          AsyncContext async = req.startAsync();
          async.start(
              () -> {
                RequestScope scope = AfterResponseFilter.scope(req).orElseThrow();
                scope.add("async-task", () -> events.add("async task ran"));
                try {
                  async
                      .getResponse()
                      .getOutputStream()
                      .write("async".getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
                events.add("async handler done");
                async.complete();
              });
          return;
        case "/fails":
          AfterResponse.run("never-runs", () -> events.add("never-runs ran"));
          throw new IllegalStateException("handler broke");
        case "/failing-task":
          AfterResponse.run(
              "send-receipt",
              () -> {
                throw new IllegalStateException("smtp down");
              });
          AfterResponse.run("after-receipt", () -> events.add("after-receipt ran"));
          resp.getWriter().write("ok");
          return;
        case "/durable":
          long id = AfterResponse.run(welcome, new Welcome("a@example.com")).id();
          resp.setContentLength(Long.toString(id).length());
          resp.getWriter().write(Long.toString(id));
          return;
        default:
          resp.sendError(404);
      }
    }
  }

  @Test
  void the_client_has_the_whole_response_before_a_two_second_task_starts() throws Exception {
    HttpResponse<String> response = get("/slow", null);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("created");
    await().atMost(Duration.ofSeconds(20)).until(() -> events.contains("task finished"));
    assertThat(events).hasSize(4);
    ServletEvents.assertResponseCameFirst(events);
  }

  @Test
  void an_async_request_hands_its_tasks_over_when_it_completes() throws Exception {
    HttpResponse<String> response = get("/async", null);
    assertThat(response.body()).isEqualTo("async");
    await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("async task ran"));
    assertThat(events.indexOf("async handler done")).isLessThan(events.indexOf("async task ran"));
  }

  @Test
  void a_failing_handler_gets_an_error_response_and_its_tasks_are_discarded() throws Exception {
    HttpResponse<String> response = get("/fails", null);
    assertThat(response.statusCode()).isEqualTo(500);
    await().atMost(Duration.ofSeconds(10)).until(() -> tasks("discarded") == 1);
    assertThat(lane.shutdown().drained()).isTrue();
    assertThat(events).doesNotContain("never-runs ran");
  }

  @Test
  void a_failing_task_is_logged_with_the_requests_correlation_id_and_the_next_one_runs()
      throws Exception {
    HttpResponse<String> response = get("/failing-task", "req-77");
    assertThat(response.body()).isEqualTo("ok");
    await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("after-receipt ran"));
    await().atMost(Duration.ofSeconds(10)).until(() -> tasks("failed") == 1);
    assertThat(appender.list)
        .filteredOn(e -> e.getLevel() == Level.WARN)
        .singleElement()
        .satisfies(
            e -> assertThat(e.getFormattedMessage()).contains("'send-receipt'", "request req-77"));
  }

  @Test
  void a_durable_task_is_stored_before_the_client_has_the_response() throws Exception {
    HttpResponse<String> response = get("/durable", null);
    long id = Long.parseLong(response.body());
    assertThat(errand.job(id))
        .as("stored when the response arrived")
        .get()
        .satisfies(j -> assertThat(j.state()).isEqualTo(JobState.QUEUED));
  }
}
