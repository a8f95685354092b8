package dev.errand.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.errand.AfterResponse;
import dev.errand.AfterResponseLane;
import dev.errand.Errand;
import dev.errand.servlet.ServletEvents;
import dev.errand.spring.web.WebApp;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * After-response tasks in a Spring MVC application on embedded Tomcat, over a real socket: the
 * auto-configured filter runs a request's tasks once the client has the response. Assertions are on
 * the order of recorded events, never on timings.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AfterResponseWebTest {
  private final HttpClient client = HttpClient.newHttpClient();
  private Path dir;
  private ConfigurableApplicationContext context;
  private List<String> events;
  private int port;

  @BeforeAll
  void startServer() throws Exception {
    dir = Files.createTempDirectory("errand-spring-web");
    context =
        new SpringApplicationBuilder(WebApp.class)
            .web(WebApplicationType.SERVLET)
            .properties(
                "server.port=0",
                "server.address=127.0.0.1",
                "spring.datasource.url=" + SqliteApplicationTest.url(dir.resolve("app.db")),
                "errand.after-response.threads=2")
            .run();
    events = context.getBean(WebApp.Events.class).list;
    port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port"));
  }

  @AfterAll
  void stopServer() {
    try {
      if (context != null) {
        context.close();
      }
    } finally {
      SqliteApplicationTest.deleteRecursively(dir);
    }
  }

  @BeforeEach
  void clearEvents() {
    events.clear();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return ServletEvents.get(client, port, path, null, events);
  }

  @Test
  void the_client_has_the_whole_response_before_a_two_second_task_starts() throws Exception {
    HttpResponse<String> response = get("/slow");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("created");
    await().atMost(Duration.ofSeconds(20)).until(() -> events.contains("task finished"));
    ServletEvents.assertResponseCameFirst(events);
  }

  @Test
  void a_durable_task_is_stored_before_the_response_and_run_by_the_engine() throws Exception {
    HttpResponse<String> response = get("/durable");
    long id = Long.parseLong(response.body());

    assertThat(context.getBean(Errand.class).job(id))
        .as("stored when the response arrived")
        .isPresent();
    await().atMost(Duration.ofSeconds(20)).until(() -> events.contains("receipt job ran for o-1"));
  }

  @Test
  void a_failing_handler_gets_an_error_response_and_its_tasks_are_discarded() throws Exception {
    MeterRegistry registry = context.getBean(MeterRegistry.class);
    HttpResponse<String> response = get("/fails");

    assertThat(response.statusCode()).isEqualTo(500);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              Counter c = registry.find("errand.after.tasks").tag("outcome", "discarded").counter();
              return c != null && c.count() >= 1;
            });
    assertThat(events).doesNotContain("never-runs ran");
  }

  @Test
  void the_lane_is_installed_for_calls_outside_requests_and_counts_in_the_application_registry() {
    AfterResponseLane lane = context.getBean(AfterResponseLane.class);
    assertThat(AfterResponse.installed()).containsSame(lane);

    AfterResponse.run("outside-a-request", () -> events.add("outside ran"));

    await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("outside ran"));
    MeterRegistry registry = context.getBean(MeterRegistry.class);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              Counter c = registry.find("errand.after.tasks").tag("outcome", "succeeded").counter();
              return c != null && c.count() >= 1;
            });
  }
}
