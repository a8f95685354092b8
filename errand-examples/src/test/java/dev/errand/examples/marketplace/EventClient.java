package dev.errand.examples.marketplace;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A browser's {@code EventSource} stand-in: connects to {@code GET /events?userId=…} over a real
 * socket and parses each event as it arrives on a reader thread of its own.
 */
final class EventClient implements AutoCloseable {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** One received event: its name and its JSON data. */
  record Event(String name, JsonNode data) {
    long taskId() {
      return data.path("taskId").asLong(data.path("id").asLong(-1));
    }
  }

  final String userId;
  final int status;
  private final List<Event> events = new CopyOnWriteArrayList<>();
  private final InputStream body;
  private volatile boolean ended;

  EventClient(HttpClient http, String baseUrl, String userId) {
    this.userId = userId;
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(baseUrl + "/events?userId=" + userId))
            .header("Accept", "text/event-stream")
            .build();
    try {
      HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      this.status = r.statusCode();
      this.body = r.body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    Thread reader = new Thread(this::read, "events-of-" + userId);
    reader.setDaemon(true);
    reader.start();
  }

  private void read() {
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
      String name = "message";
      String data = null;
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (line.startsWith("event: ")) {
          name = line.substring("event: ".length());
        } else if (line.startsWith("data: ")) {
          data = line.substring("data: ".length());
        } else if (line.isEmpty()) {
          if (data != null) {
            events.add(new Event(name, MAPPER.readTree(data)));
          }
          name = "message";
          data = null;
        }
      }
    } catch (IOException closed) {
      // the test closed the stream, or the app stopped
    } finally {
      ended = true;
    }
  }

  /** True once the server ended the stream (or the test closed it). */
  boolean ended() {
    return ended;
  }

  /** Every event received so far, in order. */
  List<Event> events() {
    return List.copyOf(events);
  }

  /** Events named {@code name} about task {@code taskId}. */
  List<Event> about(String name, long taskId) {
    return events.stream().filter(e -> e.name().equals(name) && e.taskId() == taskId).toList();
  }

  boolean received(String name, long taskId) {
    return !about(name, taskId).isEmpty();
  }

  /** Names of the events about task {@code taskId}, in order. */
  List<String> namesAbout(long taskId) {
    return events.stream().filter(e -> e.taskId() == taskId).map(Event::name).toList();
  }

  @Override
  public void close() throws IOException {
    body.close();
  }
}
