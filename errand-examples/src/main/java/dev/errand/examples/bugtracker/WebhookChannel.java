package dev.errand.examples.bugtracker;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Posts each notification as JSON to a URL (a chat integration, a mail relay). A status other than
 * 2xx, or no answer within 10 s, fails the send, which the job retries.
 */
public final class WebhookChannel implements NotificationChannel {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private final URI url;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  public WebhookChannel(URI url) {
    this.url = url;
  }

  @Override
  public String name() {
    return "webhook";
  }

  @Override
  public void send(Notification n) throws IOException, InterruptedException {
    HttpRequest req =
        HttpRequest.newBuilder(url)
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(MAPPER.writeValueAsString(n)))
            .build();
    HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
    if (res.statusCode() / 100 != 2) {
      throw new IOException("webhook " + url + " answered " + res.statusCode() + ": " + res.body());
    }
  }
}
