package dev.errand.web;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real streaming Server-Sent Events client on the JDK HTTP client: a reader thread parses frames
 * as they arrive into {@link #frames}.
 */
final class SseClient implements AutoCloseable {
  record Frame(String id, String event, String data) {}

  final int status;
  final List<Frame> frames = new CopyOnWriteArrayList<>();
  final AtomicInteger comments = new AtomicInteger();
  volatile boolean ended;
  private final InputStream body;
  private final Thread reader;

  SseClient(HttpClient http, String url, String key, String lastEventId)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .header("Accept", "text/event-stream")
            .timeout(Duration.ofSeconds(10));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    if (lastEventId != null) {
      b.header("Last-Event-ID", lastEventId);
    }
    HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    this.status = r.statusCode();
    this.body = r.body();
    this.reader = new Thread(this::read, "sse-test-reader");
    reader.setDaemon(true);
    reader.start();
  }

  private void read() {
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
      String id = null;
      String event = null;
      StringBuilder data = null;
      String line;
      while ((line = in.readLine()) != null) {
        if (line.isEmpty()) {
          if (data != null) {
            frames.add(new Frame(id, event == null ? "message" : event, data.toString()));
          }
          id = null;
          event = null;
          data = null;
        } else if (line.startsWith(":")) {
          comments.incrementAndGet();
        } else if (line.startsWith("id: ")) {
          id = line.substring(4);
        } else if (line.startsWith("event: ")) {
          event = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data =
              data == null
                  ? new StringBuilder(line.substring(6))
                  : data.append('\n').append(line.substring(6));
        }
      }
    } catch (IOException e) {
      // closed
    } finally {
      ended = true;
    }
  }

  /** Frames of event type {@code job}. */
  List<Frame> jobFrames() {
    return frames.stream().filter(f -> f.event().equals("job")).toList();
  }

  String lastId() {
    List<Frame> withId = frames.stream().filter(f -> f.id() != null).toList();
    return withId.isEmpty() ? null : withId.get(withId.size() - 1).id();
  }

  @Override
  public void close() throws IOException {
    body.close();
  }
}
