package dev.errand.examples.kitchen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.TestHttp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts a {@link KitchenApp} per test on a real socket, with no work delay and short backoff, and
 * follows its event stream like the page does.
 */
abstract class KitchenTestBase {
  static final Duration WAIT = Duration.ofSeconds(30);
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  KitchenApp app;
  TestHttp http;
  Events events;

  Supplier<ExampleDatabase> database() {
    return () -> ExampleDatabase.sqlite(dir.resolve("kitchen.db"));
  }

  KitchenConfig.Builder config() {
    return KitchenConfig.builder(dir)
        .database(database())
        .workDelay(Duration.ZERO)
        .backoff(Duration.ofMillis(50))
        .shutdownGrace(Duration.ofMillis(500));
  }

  KitchenApp start(KitchenConfig.Builder config) {
    app = KitchenApp.start(config.build());
    http = new TestHttp(app.baseUrl());
    events = new Events(app);
    return app;
  }

  @AfterEach
  void stop() {
    if (app != null) {
      app.close();
      app = null;
    }
  }

  /** Submits a production and returns the task id from the 202. */
  long produce(String preparationId, long quantity) {
    TestHttp.Response r =
        http.post(
            "/api/production",
            "{\"preparationId\":\""
                + preparationId
                + "\",\"quantity\":"
                + quantity
                + ",\"userName\":\"Sari\",\"userId\":\"u-7\"}");
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    return r.json().get("id").asLong();
  }

  /** Submits a write-off of one line and returns the task id from the 202. */
  long writeOff(String kind, String itemId, long quantity, String reason, boolean affectsKpi) {
    TestHttp.Response r =
        http.post(
            "/api/write-offs",
            "{\"kind\":\""
                + kind
                + "\",\"items\":[{\"itemId\":\""
                + itemId
                + "\",\"quantity\":"
                + quantity
                + "}],\"reason\":\""
                + reason
                + "\",\"affectsKpi\":"
                + affectsKpi
                + ",\"userName\":\"John\",\"notes\":\"Past expiry date\"}");
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    return r.json().get("id").asLong();
  }

  JsonNode task(long id) {
    return http.get("/api/tasks/" + id).json();
  }

  /** Waits until task {@code id} has 004 status {@code status} and returns it. */
  JsonNode awaitStatus(long id, String status) {
    await().atMost(WAIT).until(() -> task(id).get("status").asText().equals(status));
    return task(id);
  }

  /** On-hand quantity of an item, from {@code GET /api/stock}. */
  long stock(String itemId) {
    for (JsonNode b : http.get("/api/stock").json()) {
      if (b.get("id").asText().equals(itemId)) {
        return b.get("quantity").asLong();
      }
    }
    throw new AssertionError("no balance for " + itemId);
  }

  JsonNode batches(String itemId) {
    return http.get("/api/stock/" + itemId + "/batches").json();
  }

  static List<Long> ids(JsonNode tasks) {
    return Stream.iterate(0, i -> i < tasks.size(), i -> i + 1)
        .map(i -> tasks.get(i).get("id").asLong())
        .toList();
  }

  /** The app's event stream read over a real socket, as the page's EventSource reads it. */
  static final class Events {
    final List<JsonNode> tasks = new CopyOnWriteArrayList<>();

    Events(KitchenApp app) {
      int before = app.eventStreams();
      HttpClient.newHttpClient()
          .sendAsync(
              HttpRequest.newBuilder(URI.create(app.baseUrl() + "/api/events")).build(),
              HttpResponse.BodyHandlers.ofLines())
          .thenAccept(
              r -> {
                String[] event = {null};
                r.body()
                    .forEach(
                        line -> {
                          if (line.startsWith("event: ")) {
                            event[0] = line.substring(7);
                          } else if (line.startsWith("data: ") && "task".equals(event[0])) {
                            tasks.add(parse(line.substring(6)));
                          }
                        });
              });
      await().atMost(WAIT).until(() -> app.eventStreams() > before);
    }

    /** Waits for the {@code event} (succeeded, failed, …) of task {@code id} and returns it. */
    JsonNode awaitEvent(long id, String event) {
      return await()
          .atMost(WAIT)
          .until(
              () ->
                  tasks.stream()
                      .filter(
                          t -> t.get("id").asLong() == id && t.get("event").asText().equals(event))
                      .findFirst()
                      .orElse(null),
              t -> t != null);
    }

    List<String> kinds(long id) {
      return tasks.stream()
          .filter(t -> t.get("id").asLong() == id)
          .map(t -> t.get("event").asText())
          .toList();
    }

    private static JsonNode parse(String json) {
      try {
        return JSON.readTree(json);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
