package dev.errand.server.http;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The payload of the built-in {@code http} job type: one HTTP request to make. Immutable and
 * validated when built, so a bad call is rejected at enqueue (from Java or as JSON), never
 * discovered by a worker.
 *
 * <pre>{@code
 * errand.enqueue(http, HttpCall.of("POST", "https://api.example.com/hooks/order")
 *     .withHeader("Content-Type", "application/json").withBody("{\"order\":42}"));
 * }</pre>
 *
 * <p>As JSON: {@code {"method":"POST","url":"https://…","headers":{"Content-Type":"…"},
 * "body":"…","timeoutMillis":10000}}; only {@code method} and {@code url} are required.
 *
 * @param method one of {@link #METHODS}; lower case is accepted and stored upper case
 * @param url an absolute {@code http} or {@code https} URL with a host and no user info (put
 *     credentials in a header, which is not part of logged errors)
 * @param headers request headers; null means none. Names the JDK client reserves ({@code Host},
 *     {@code Content-Length}, {@code Connection}, {@code Expect}, {@code Upgrade}) are rejected
 * @param body the request body sent as UTF-8, or null for none
 * @param timeoutMillis how long one attempt may take from connecting to the last byte read, 1 ms to
 *     {@link #MAX_TIMEOUT}; null means {@link #DEFAULT_TIMEOUT}
 */
public record HttpCall(
    String method, String url, Map<String, String> headers, String body, Long timeoutMillis) {
  /** Methods an {@code http} job may use. */
  public static final Set<String> METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

  /** Per-attempt timeout when the payload gives none. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  /** The longest per-attempt timeout accepted: a call holds a worker slot while it waits. */
  public static final Duration MAX_TIMEOUT = Duration.ofMinutes(15);

  public HttpCall {
    if (method == null || !METHODS.contains(method.toUpperCase(Locale.ROOT))) {
      throw new IllegalArgumentException(
          "http job method '"
              + method
              + "' is not supported; use one of "
              + new java.util.TreeSet<>(METHODS));
    }
    method = method.toUpperCase(Locale.ROOT);
    uri(url);
    headers =
        headers == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(headers));
    if (timeoutMillis == null) {
      timeoutMillis = DEFAULT_TIMEOUT.toMillis();
    } else if (timeoutMillis <= 0 || timeoutMillis > MAX_TIMEOUT.toMillis()) {
      throw new IllegalArgumentException(
          "http job timeoutMillis must be between 1 and "
              + MAX_TIMEOUT.toMillis()
              + " (15 minutes), got "
              + timeoutMillis);
    }
    // The JDK client's own checks of header names and values, at enqueue instead of at run time.
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(url));
    for (Map.Entry<String, String> h : headers.entrySet()) {
      if (h.getKey() == null || h.getValue() == null) {
        throw new IllegalArgumentException(
            "http job header "
                + h.getKey()
                + " has no value; give every header a name and a value");
      }
      try {
        b.header(h.getKey(), h.getValue());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "http job header '"
                + h.getKey()
                + "' is not allowed: "
                + e.getMessage()
                + "; the client sets Host, Content-Length, Connection, Expect and Upgrade itself",
            e);
      }
    }
  }

  /** A call without headers or body, with the default timeout. */
  public static HttpCall of(String method, String url) {
    return new HttpCall(method, url, null, null, null);
  }

  /** A copy with header {@code name} set to {@code value}. */
  public HttpCall withHeader(String name, String value) {
    Map<String, String> h = new TreeMap<>(headers);
    h.put(name, value);
    return new HttpCall(method, url, h, body, timeoutMillis);
  }

  /** A copy with this request body (sent as UTF-8). */
  public HttpCall withBody(String body) {
    return new HttpCall(method, url, headers, body, timeoutMillis);
  }

  /** A copy with this per-attempt timeout. */
  public HttpCall withTimeout(Duration timeout) {
    return new HttpCall(method, url, headers, body, timeout.toMillis());
  }

  /** The per-attempt timeout. */
  public Duration timeout() {
    return Duration.ofMillis(timeoutMillis);
  }

  /** The URL as a URI (already validated). */
  URI uri() {
    return uri(url);
  }

  private static URI uri(String url) {
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException(
          "http job url is missing; give an absolute http:// or https:// URL");
    }
    URI u;
    try {
      u = new URI(url);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException(
          "http job url '"
              + url
              + "' is not a valid URL: "
              + e.getReason()
              + " at index "
              + e.getIndex()
              + "; percent-encode spaces and other special characters",
          e);
    }
    String scheme = u.getScheme() == null ? null : u.getScheme().toLowerCase(Locale.ROOT);
    if (!"http".equals(scheme) && !"https".equals(scheme)) {
      throw new IllegalArgumentException(
          "http job url '"
              + url
              + "' has scheme '"
              + u.getScheme()
              + "'; only http and https are allowed");
    }
    if (u.getHost() == null) {
      throw new IllegalArgumentException(
          "http job url '"
              + url
              + "' has no host; give an absolute URL such as https://example.com/path");
    }
    if (u.getRawUserInfo() != null) {
      throw new IllegalArgumentException(
          "http job url for host "
              + u.getHost()
              + " contains user info;"
              + " send credentials in an Authorization header instead of the URL");
    }
    return u;
  }
}
