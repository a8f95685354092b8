package dev.errand.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** A JSON client of an example app over a real socket (the JDK HttpClient). */
public final class TestHttp {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** A response: its status, its body parsed as JSON (null if empty), and its headers. */
  public record Response(int status, JsonNode json, String body, Map<String, String> headers) {
    public String header(String name) {
      return headers.get(name.toLowerCase());
    }
  }

  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String baseUrl;
  private final Map<String, String> headers = new LinkedHashMap<>();

  public TestHttp(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  /** A client that sends {@code name: value} with every request. */
  public TestHttp with(String name, String value) {
    TestHttp t = new TestHttp(baseUrl);
    t.headers.putAll(headers);
    t.headers.put(name, value);
    return t;
  }

  public Response get(String path) {
    return send("GET", path, null);
  }

  public Response post(String path, String json) {
    return send("POST", path, json);
  }

  public Response put(String path, String json) {
    return send("PUT", path, json);
  }

  public Response delete(String path) {
    return send("DELETE", path, null);
  }

  public Response postBytes(String path, byte[] body, String... extraHeaders) {
    HttpRequest.Builder b = request(path).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < extraHeaders.length; i += 2) {
      b.header(extraHeaders[i], extraHeaders[i + 1]);
    }
    return exchange(b.build());
  }

  public Response send(String method, String path, String json) {
    HttpRequest.Builder b =
        request(path)
            .method(
                method,
                json == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) {
      b.header("Content-Type", "application/json");
    }
    return exchange(b.build());
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30));
    headers.forEach(b::header);
    return b;
  }

  private Response exchange(HttpRequest request) {
    try {
      HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
      Map<String, String> h = new LinkedHashMap<>();
      r.headers().map().forEach((k, v) -> h.put(k.toLowerCase(), String.join(",", v)));
      JsonNode json = null;
      if (r.headers().firstValue("Content-Type").orElse("").startsWith("application/json")) {
        json = MAPPER.readTree(r.body());
      }
      return new Response(r.statusCode(), json, r.body(), h);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A loopback port nothing listens on (bound once, then released): a down endpoint. */
  public static int closedPort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
