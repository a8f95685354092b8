package dev.errand.server.alert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * POSTs each alert as JSON that Slack-compatible incoming webhooks (Slack, Mattermost, Rocket.Chat,
 * Discord's {@code /slack} endpoint) accept: {@code text} is the line they show, and {@code alert}
 * holds the same facts for other receivers:
 *
 * <pre>{@code
 * {"text": "[errand] job_dead: job 42 (send-email) was dead-lettered …",
 *  "alert": {"kind": "job_dead", "key": "job_dead:send-email", "at": "2026-12-01T10:00:00Z",
 *            "suppressed": 0, "fields": {"job_id": "42", "type": "send-email", …}}}
 * }</pre>
 *
 * A non-2xx answer or a network error fails the delivery (the alerter retries). The URL is not
 * logged in full, since webhook URLs are secrets.
 */
public final class WebhookAlertSink implements AlertSink {
  /** How long one delivery may take unless set otherwise. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private final URI url;
  private final HttpClient client;
  private final Duration timeout;
  private final ObjectMapper json = new ObjectMapper();

  private WebhookAlertSink(URI url, HttpClient client, Duration timeout) {
    this.url = url;
    this.client = client;
    this.timeout = timeout;
  }

  /**
   * A sink posting to {@code url} with its own client (daemon threads {@code errand-webhook-N}) and
   * {@link #DEFAULT_TIMEOUT}.
   *
   * @throws IllegalArgumentException unless {@code url} is an absolute http or https URL
   */
  public static WebhookAlertSink to(String url) {
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    HttpClient client =
        HttpClient.newBuilder()
            .connectTimeout(DEFAULT_TIMEOUT)
            .executor(
                java.util.concurrent.Executors.newCachedThreadPool(
                    r -> {
                      Thread t = new Thread(r, "errand-webhook-" + n.incrementAndGet());
                      t.setDaemon(true);
                      return t;
                    }))
            .build();
    return to(url, client, DEFAULT_TIMEOUT);
  }

  /** Like {@link #to(String)} with your client and per-delivery timeout. */
  public static WebhookAlertSink to(String url, HttpClient client, Duration timeout) {
    return new WebhookAlertSink(
        requireUrl(url),
        Objects.requireNonNull(client, "client"),
        Objects.requireNonNull(timeout, "timeout"));
  }

  /**
   * {@code url} as a URI if it is an absolute http or https URL.
   *
   * @throws IllegalArgumentException saying what is wrong, without repeating the URL (a secret)
   */
  public static URI requireUrl(String url) {
    URI u;
    try {
      u = new URI(Objects.requireNonNull(url, "url"));
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException(
          "webhook URL is not a valid URL (" + e.getReason() + ")", e);
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
      throw new IllegalArgumentException(
          "webhook URL must be an absolute http:// or https:// URL, got scheme '"
              + u.getScheme()
              + "' and host '"
              + u.getHost()
              + "'");
    }
    return u;
  }

  @Override
  public String name() {
    return "webhook(" + url.getHost() + ")";
  }

  /** The JSON body posted for {@code alert}. */
  String body(Alert alert) throws IOException {
    ObjectNode root = json.createObjectNode();
    root.put("text", "[errand] " + alert.kind().label() + ": " + alert.summary());
    ObjectNode a = root.putObject("alert");
    a.put("kind", alert.kind().label());
    a.put("key", alert.key());
    a.put("at", alert.at().toString());
    a.put("suppressed", alert.suppressed());
    ObjectNode fields = a.putObject("fields");
    for (Map.Entry<String, String> f : alert.fields().entrySet()) {
      fields.put(f.getKey(), f.getValue());
    }
    return json.writeValueAsString(root);
  }

  @Override
  public void send(Alert alert) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(url)
            .timeout(timeout)
            .header("Content-Type", "application/json; charset=utf-8")
            .POST(HttpRequest.BodyPublishers.ofString(body(alert)))
            .build();
    HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      String b = r.body() == null ? "" : r.body();
      throw new IOException(
          "webhook at "
              + url.getHost()
              + " answered "
              + r.statusCode()
              + (b.isEmpty() ? "" : ": " + (b.length() > 200 ? b.substring(0, 200) + "…" : b)));
    }
  }
}
