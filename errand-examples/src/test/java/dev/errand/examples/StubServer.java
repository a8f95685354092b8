package dev.errand.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local HTTP server on a loopback port for the far side of a test: it answers the first {@code
 * failures} requests with {@code failureStatus} and then forwards to {@code target} (or answers 200
 * without one). Records every request body.
 */
public final class StubServer implements AutoCloseable {
  private final HttpServer server;
  private final AtomicInteger requests = new AtomicInteger();
  private final List<String> bodies = new CopyOnWriteArrayList<>();
  private final HttpClient client = HttpClient.newHttpClient();
  private volatile String target;

  private StubServer(int failures, int failureStatus, String target) {
    this.target = target;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext(
        "/",
        exchange -> {
          try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            bodies.add(new String(body, StandardCharsets.UTF_8));
            if (requests.incrementAndGet() <= failures) {
              reply(exchange, failureStatus, "{\"error\":\"stub failure\"}");
            } else if (this.target == null) {
              reply(exchange, 200, "{\"ok\":true}");
            } else {
              forward(exchange, this.target, body);
            }
          }
        });
    server.start();
  }

  /**
   * Fails the first {@code failures} requests with {@code status}, then forwards to the URL given
   * to {@link #forwardTo}.
   */
  public static StubServer failingThenForwarding(int failures, int status) {
    return new StubServer(failures, status, null);
  }

  /** From now on forwards the requests that do not fail to {@code url}. */
  public void forwardTo(String url) {
    this.target = url;
  }

  /** Answers every request with {@code status}. */
  public static StubServer always(int status) {
    return new StubServer(Integer.MAX_VALUE, status, null);
  }

  /** Answers every request with 200 and records its body. */
  public static StubServer receiver() {
    return new StubServer(0, 0, null);
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  public int requests() {
    return requests.get();
  }

  public List<String> bodies() {
    return List.copyOf(bodies);
  }

  private void forward(HttpExchange exchange, String target, byte[] body) throws IOException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(target + exchange.getRequestURI()))
            .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
    exchange
        .getRequestHeaders()
        .forEach(
            (name, values) -> {
              if (name.equalsIgnoreCase("content-type") || name.toLowerCase().startsWith("x-")) {
                values.forEach(v -> b.header(name, v));
              }
            });
    try {
      HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      exchange
          .getResponseHeaders()
          .add("Content-Type", r.headers().firstValue("Content-Type").orElse("text/plain"));
      exchange.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
      exchange.getResponseBody().write(r.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      reply(exchange, 502, "{\"error\":\"interrupted\"}");
    }
  }

  private static void reply(HttpExchange exchange, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
