package dev.errand.examples.marketplace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.TestClock;
import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.TestHttp;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts a {@link MarketplaceApp} per test on a real socket: one HTTP client per user ({@code ada}
 * admin; {@code pia}, {@code wes}, {@code kim} members) and event streams connected on demand. A
 * fifth member, {@code eye}, is always connected: {@link #post} waits until eye has the new task's
 * broadcast, the last background task of a creation, so a test starts from a settled state.
 */
abstract class MarketplaceTestBase {
  static final Duration WAIT = Duration.ofSeconds(20);
  static final Instant START = Instant.parse("2024-03-01T10:00:00Z");

  @TempDir Path dir;
  final TestClock clock = new TestClock(START);
  final HttpClient http = HttpClient.newHttpClient();
  private final List<EventClient> streams = new ArrayList<>();
  MarketplaceApp app;
  EventClient eye;
  TestHttp anonymous;
  TestHttp ada;
  TestHttp pia;
  TestHttp wes;
  TestHttp kim;

  Supplier<ExampleDatabase> database() {
    return () -> ExampleDatabase.sqlite(dir.resolve("marketplace.db"));
  }

  MarketplaceConfig.Builder config() {
    return MarketplaceConfig.builder()
        .database(database())
        .port(0)
        .clock(clock)
        .users(
            Map.of(
                "ada", "admin", "pia", "member", "wes", "member", "kim", "member", "eye",
                "member"));
  }

  MarketplaceApp start(MarketplaceConfig.Builder config) {
    return clients(MarketplaceApp.start(config.build()), null);
  }

  MarketplaceApp clients(MarketplaceApp started, String baseUrl) {
    app = started;
    anonymous = new TestHttp(baseUrl != null ? baseUrl : app.baseUrl());
    ada = anonymous.with("X-User-Id", "ada");
    pia = anonymous.with("X-User-Id", "pia");
    wes = anonymous.with("X-User-Id", "wes");
    kim = anonymous.with("X-User-Id", "kim");
    eye = connect("eye");
    return app;
  }

  String baseUrl() {
    return app.baseUrl();
  }

  @AfterEach
  void stop() throws IOException {
    for (EventClient s : streams) {
      s.close();
    }
    streams.clear();
    if (app != null) {
      app.close();
      app = null;
    }
  }

  /** An event stream of {@code user}, connected (its {@code connected} event has arrived). */
  EventClient connect(String user) {
    EventClient s = new EventClient(http, baseUrl(), user);
    streams.add(s);
    assertThat(s.status).isEqualTo(200);
    await()
        .atMost(WAIT)
        .until(() -> s.events().stream().anyMatch(e -> e.name().equals("connected")));
    return s;
  }

  long post(TestHttp as, String title, long budget) {
    TestHttp.Response r =
        as.post("/tasks", "{\"title\":\"" + title + "\",\"budget\":" + budget + "}");
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    long id = r.json().get("id").asLong();
    await().atMost(WAIT).until(() -> eye.received("newTask", id));
    return id;
  }

  /** POSTs {@code path} and expects {@code status}; returns the JSON body. */
  JsonNode call(TestHttp as, String path, int status) {
    TestHttp.Response r = as.post(path, "");
    assertThat(r.status()).as(path + ": " + r.body()).isEqualTo(status);
    return r.json();
  }

  JsonNode task(long id) {
    return pia.get("/tasks/" + id).json();
  }

  /** Reads {@code path} as {@code as} so its value is cached, and checks that it is. */
  void warm(TestHttp as, String path, String key) {
    as.get(path);
    assertThat(as.get(path).header("X-Cache")).isEqualTo("hit");
    assertThat(app.cache().contains(key)).isTrue();
  }

  void awaitInvalidated(String... keys) {
    await()
        .atMost(WAIT)
        .until(() -> List.of(keys).stream().noneMatch(k -> app.cache().contains(k)));
  }

  /** Final outcomes of after-response tasks: succeeded, failed, timed_out, rejected, … */
  double laneTasks(String outcome) {
    return app
        .errand()
        .meterRegistry()
        .find("errand.after.tasks")
        .tag("outcome", outcome)
        .counters()
        .stream()
        .mapToDouble(Counter::count)
        .sum();
  }

  /** An error answer: its status, its stable code, and a message that contains {@code message}. */
  static void assertError(TestHttp.Response r, int status, String code, String message) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.json().get("error").asText()).isEqualTo(code);
    assertThat(r.json().get("message").asText()).contains(message);
  }

  List<JsonNode> adminLogs() {
    List<JsonNode> rows = new ArrayList<>();
    ada.get("/admin/logs").json().forEach(rows::add);
    return rows;
  }
}
