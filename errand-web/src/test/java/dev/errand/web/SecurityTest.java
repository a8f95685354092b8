package dev.errand.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.errand.web.WebFixture.Res;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The secure defaults, pinned: loopback only without keys (also against DNS rebinding), keys with
 * scopes, cross-site request protection, the remote-enqueue allow-list and closed health.
 */
class SecurityTest {
  static final String READ_KEY = "read-key-0123456789abcdef";
  static final String ENQUEUE_KEY = "enqueue-key-0123456789abcdef";
  static final String ADMIN_KEY = "admin-key-0123456789abcdef";
  static final String EMAIL =
      "{\"type\":\"send-email\",\"payload\":{\"to\":\"a\",\"subject\":\"s\",\"password\":null}}";

  @TempDir Path dir;
  WebFixture f;

  @AfterEach
  void stop() {
    if (f != null) {
      try {
        assertThat(f.web.internalErrors()).as("requests answered by the 500 catch-all").isZero();
      } finally {
        f.close();
      }
    }
  }

  private WebFixture withKeys(boolean openHealth, String host) {
    return new WebFixture(
        dir,
        b ->
            b.host(host)
                .openHealth(openHealth)
                .apiKey(READ_KEY, Scope.READ)
                .apiKey(ENQUEUE_KEY, Scope.ENQUEUE)
                .apiKey(ADMIN_KEY, Scope.ADMIN));
  }

  @Test
  void defaults_are_loopback_no_keys_nothing_remotely_enqueueable_and_one_mebibyte_bodies() {
    WebConfig d = WebConfig.defaults();
    assertThat(d.host()).isEqualTo("127.0.0.1");
    assertThat(d.hasApiKeys()).isFalse();
    assertThat(d.remoteEnqueue()).isEmpty();
    assertThat(d.maxBodyBytes()).isEqualTo(1 << 20);
    assertThat(d.openHealth()).isFalse();
    assertThat(WebConfig.builder().apiKey(ADMIN_KEY, Scope.ADMIN).build().toString())
        .doesNotContain(ADMIN_KEY);
    f = new WebFixture(dir, b -> {}, e -> {});
    ErrandWeb strict = ErrandWeb.create(f.errand, WebConfig.builder().port(0).build()).start();
    try {
      Res r =
          f.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + strict.port() + "/api/jobs"))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(EMAIL)));
      assertThat(r.status()).isEqualTo(403);
      assertThat(r.code()).isEqualTo("type_not_remotely_enqueueable");
    } finally {
      strict.close();
    }
  }

  @Test
  void without_keys_a_non_loopback_client_is_refused_and_a_loopback_one_served() throws Exception {
    Optional<InetAddress> external = externalAddress();
    assumeTrue(
        external.isPresent(), "this machine has no non-loopback IPv4 address to connect from");
    f = new WebFixture(dir, b -> b.host("0.0.0.0"));
    assertThat(f.get("/api/jobs").status()).isEqualTo(200);
    String url = "http://" + external.get().getHostAddress() + ":" + f.web.port() + "/api/jobs";
    Res remote = f.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)));
    assertThat(remote.status()).isEqualTo(403);
    assertThat(remote.code()).isEqualTo("loopback_only");
    assertThat(remote.message()).contains(external.get().getHostAddress()).contains("apiKey");
    Res enqueue =
        f.send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(EMAIL)));
    assertThat(enqueue.code()).isEqualTo("loopback_only");
    assertThat(f.errand.jobs(dev.errand.JobQuery.all().type("send-email")).jobs()).isEmpty();
  }

  @Test
  void with_keys_a_non_loopback_client_with_a_key_is_served() throws Exception {
    Optional<InetAddress> external = externalAddress();
    assumeTrue(
        external.isPresent(), "this machine has no non-loopback IPv4 address to connect from");
    f = withKeys(false, "0.0.0.0");
    String url = "http://" + external.get().getHostAddress() + ":" + f.web.port() + "/api/jobs";
    assertThat(f.send(HttpRequest.newBuilder(URI.create(url))).code()).isEqualTo("missing_api_key");
    assertThat(
            f.send(HttpRequest.newBuilder(URI.create(url)).header("X-API-Key", READ_KEY)).status())
        .isEqualTo(200);
  }

  @Test
  void without_keys_a_foreign_host_header_is_refused_against_dns_rebinding() throws Exception {
    f = new WebFixture(dir, b -> {});
    String foreign =
        raw(
            f.web.port(),
            "GET /api/jobs HTTP/1.1\r\nHost: evil.example:"
                + f.web.port()
                + "\r\nConnection: close\r\n\r\n");
    assertThat(foreign).startsWith("HTTP/1.1 403").contains("\"code\":\"host_not_allowed\"");
    String local =
        raw(
            f.web.port(),
            "GET /api/jobs HTTP/1.1\r\nHost: localhost:"
                + f.web.port()
                + "\r\nConnection: close\r\n\r\n");
    assertThat(local).startsWith("HTTP/1.1 200");
  }

  @Test
  void with_keys_every_request_needs_a_valid_key_of_the_right_scope() {
    f = withKeys(false, "127.0.0.1");
    Res missing = f.get("/api/jobs");
    assertThat(missing.status()).isEqualTo(401);
    assertThat(missing.code()).isEqualTo("missing_api_key");
    assertThat(missing.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
    assertThat(f.get("/health").code())
        .as("health is closed by default")
        .isEqualTo("missing_api_key");
    assertThat(f.get("/metrics").code()).isEqualTo("missing_api_key");
    assertThat(f.get("/api/events").code()).isEqualTo("missing_api_key");

    for (String path :
        new String[] {
          "/api/jobs",
          "/api/jobs/1",
          "/api/events",
          "/health",
          "/metrics",
          "/api/stats",
          "/api/stats/series"
        }) {
      Res head = f.send(f.request(path).method("HEAD", HttpRequest.BodyPublishers.noBody()));
      assertThat(head.status()).as("HEAD " + path + " without a key").isEqualTo(401);
    }

    f.key = "wrong-key-0123456789abcdef";
    assertThat(f.get("/api/jobs").code()).isEqualTo("invalid_api_key");
    f.key = READ_KEY.substring(0, READ_KEY.length() - 1);
    assertThat(f.get("/api/jobs").code())
        .as("a prefix of a key is not the key")
        .isEqualTo("invalid_api_key");

    f.key = READ_KEY;
    assertThat(f.get("/api/jobs").status()).isEqualTo(200);
    assertThat(
            f.send(f.request("/api/events").method("HEAD", HttpRequest.BodyPublishers.noBody()))
                .status())
        .as("HEAD on a stream answers at once")
        .isEqualTo(200);
    assertThat(f.get("/metrics").status()).isEqualTo(200);
    Res readEnqueues = f.post("/api/jobs", EMAIL);
    assertThat(readEnqueues.status()).isEqualTo(403);
    assertThat(readEnqueues.code()).isEqualTo("insufficient_scope");
    assertThat(readEnqueues.message()).contains("'enqueue'").contains("[read]");

    f.key = ENQUEUE_KEY;
    long id = f.enqueue(EMAIL);
    assertThat(f.get("/api/jobs/" + id).code())
        .as("enqueue does not imply read")
        .isEqualTo("insufficient_scope");
    assertThat(f.post("/api/jobs/" + id + "/cancel", null).code()).isEqualTo("insufficient_scope");
    assertThat(f.post("/api/queues/default/pause", null).code()).isEqualTo("insufficient_scope");

    f.key = ADMIN_KEY;
    assertThat(f.get("/api/jobs/" + id).status()).isEqualTo(200);
    assertThat(f.post("/api/queues/default/pause", null).status()).isEqualTo(200);
    assertThat(f.post("/api/queues/default/resume", null).status()).isEqualTo(200);
    assertThat(f.post("/api/jobs", EMAIL).status()).isEqualTo(201);

    f.key = null;
    Res viaHeader = f.send(f.request("/api/jobs").header("X-API-Key", READ_KEY));
    assertThat(viaHeader.status()).isEqualTo(200);
  }

  @Test
  void open_health_serves_health_without_a_key_but_nothing_else() {
    f = withKeys(true, "127.0.0.1");
    assertThat(f.get("/health/live").status()).isEqualTo(200);
    assertThat(f.get("/health").status()).isEqualTo(200);
    assertThat(f.get("/api/stats").code()).isEqualTo("missing_api_key");
    assertThat(f.get("/metrics").code()).isEqualTo("missing_api_key");
  }

  @Test
  void state_changing_requests_from_another_site_are_refused() {
    f = new WebFixture(dir, b -> {});
    long id = f.enqueue("{\"type\":\"block\",\"payload\":{}}");
    Res evil =
        f.send(
            f.request("/api/jobs/" + id + "/cancel")
                .header("Content-Type", "application/json")
                .header("Origin", "http://evil.example")
                .POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(evil.status()).isEqualTo(403);
    assertThat(evil.code()).isEqualTo("cross_site_request");
    Res nullOrigin =
        f.send(
            f.request("/api/jobs/" + id + "/cancel")
                .header("Content-Type", "application/json")
                .header("Origin", "null")
                .POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(nullOrigin.code()).isEqualTo("cross_site_request");
    Res fetchMeta =
        f.send(
            f.request("/api/jobs")
                .header("Content-Type", "application/json")
                .header("Sec-Fetch-Site", "cross-site")
                .POST(HttpRequest.BodyPublishers.ofString(EMAIL)));
    assertThat(fetchMeta.code()).isEqualTo("cross_site_request");
    Res form =
        f.send(
            f.request("/api/jobs/" + id + "/cancel")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(form.status()).isEqualTo(415);
    assertThat(form.code()).isEqualTo("unsupported_media_type");
    Res bare = f.send(f.request("/api/jobs/" + id).DELETE());
    assertThat(bare.code()).as("no content type, no key").isEqualTo("unsupported_media_type");
    assertThat(f.errand.job(id).orElseThrow().state()).isNotEqualTo(dev.errand.JobState.CANCELLED);
    Res sameOrigin =
        f.send(
            f.request("/api/jobs/" + id + "/cancel")
                .header("Content-Type", "application/json")
                .header("Origin", f.base())
                .header("Sec-Fetch-Site", "same-origin")
                .POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(sameOrigin.status()).isEqualTo(200);
    assertThat(f.get("/api/jobs/" + id).json().path("state").asText()).isEqualTo("CANCELLED");
  }

  @Test
  void with_keys_a_cross_origin_request_is_refused_even_with_a_valid_key() {
    f = withKeys(false, "127.0.0.1");
    f.key = ADMIN_KEY;
    Res r =
        f.send(
            f.request("/api/jobs")
                .header("Content-Type", "application/json")
                .header("Origin", "https://evil.example")
                .POST(HttpRequest.BodyPublishers.ofString(EMAIL)));
    assertThat(r.code()).isEqualTo("cross_site_request");
    Res keyed =
        f.send(f.request("/api/queues/default/pause").POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(keyed.status()).as("a key header is proof enough against forms").isEqualTo(200);
  }

  @Test
  void loopback_decision_covers_ipv4_ipv6_and_never_resolves_names() {
    assertThat(Guard.isLoopback("127.0.0.1")).isTrue();
    assertThat(Guard.isLoopback("127.8.9.10")).isTrue();
    assertThat(Guard.isLoopback("0:0:0:0:0:0:0:1")).isTrue();
    assertThat(Guard.isLoopback("[::1]")).isTrue();
    assertThat(Guard.isLoopback("192.0.2.7")).isFalse();
    assertThat(Guard.isLoopback("::ffff:10.0.0.1")).isFalse();
    assertThat(Guard.isLoopback("localhost")).as("a name is never trusted").isFalse();
    assertThat(Guard.isLoopback("")).isFalse();
    assertThat(Guard.isLoopback(null)).isFalse();
  }

  static Optional<InetAddress> externalAddress() throws SocketException {
    for (NetworkInterface n : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!n.isUp() || n.isLoopback()) {
        continue;
      }
      for (InetAddress a : Collections.list(n.getInetAddresses())) {
        if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
          return Optional.of(a);
        }
      }
    }
    return Optional.empty();
  }

  static String raw(int port, String request) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      return all.toString(StandardCharsets.UTF_8);
    }
  }
}
