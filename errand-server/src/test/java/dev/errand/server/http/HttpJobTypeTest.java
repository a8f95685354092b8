package dev.errand.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.errand.AttemptError;
import dev.errand.Backoff;
import dev.errand.Enqueue;
import dev.errand.Errand;
import dev.errand.Job;
import dev.errand.JobState;
import dev.errand.JobType;
import dev.errand.TestClock;
import dev.errand.jdbc.SqliteJobStore;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code http} job type on a real engine (SQLite file) against a real local HTTP server. */
class HttpJobTypeTest {
  @TempDir Path dir;
  private final ObjectMapper json = new ObjectMapper();
  private final CountDownLatch releaseSlow = new CountDownLatch(1);
  private final AtomicInteger flakyCalls = new AtomicInteger();
  private final List<HttpExchangeRecord> received = new CopyOnWriteArrayList<>();
  private ExecutorService serverThreads;
  private HttpServer server;
  private Errand errand;
  private volatile String retryAfterDate;

  record HttpExchangeRecord(
      String method, String path, String jobId, String attempt, String custom, String body) {}

  @BeforeEach
  void startServer() throws IOException {
    serverThreads = Executors.newCachedThreadPool();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(serverThreads);
    server.createContext(
        "/flaky",
        x -> {
          boolean fail = flakyCalls.incrementAndGet() <= 2;
          answer(x, fail ? 500 : 200, fail ? "boom" : "ok");
        });
    server.createContext("/down", x -> answer(x, 503, "maintenance"));
    server.createContext(
        "/limited",
        x -> {
          x.getResponseHeaders().add("Retry-After", "120");
          answer(x, 429, "slow down");
        });
    server.createContext(
        "/limited-date",
        x -> {
          x.getResponseHeaders().add("Retry-After", retryAfterDate);
          answer(x, 503, "back later");
        });
    server.createContext("/missing", x -> answer(x, 404, "no such hook"));
    server.createContext("/request-timeout", x -> answer(x, 408, ""));
    server.createContext("/not-modified", x -> answer(x, 304, ""));
    server.createContext(
        "/slow",
        x -> {
          try {
            releaseSlow.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          answer(x, 200, "too late");
        });
    server.createContext("/big", x -> answer(x, 200, "x".repeat(5000)));
    server.createContext(
        "/echo",
        x -> {
          String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          received.add(
              new HttpExchangeRecord(
                  x.getRequestMethod(),
                  x.getRequestURI().getPath(),
                  x.getRequestHeaders().getFirst("Errand-Job-Id"),
                  x.getRequestHeaders().getFirst("Errand-Attempt"),
                  x.getRequestHeaders().getFirst("X-Custom"),
                  body));
          answer(x, 201, "created");
        });
    server.start();
  }

  @AfterEach
  void stop() {
    if (errand != null) {
      errand.close();
    }
    releaseSlow.countDown();
    server.stop(0);
    serverThreads.shutdownNow();
  }

  private void answer(HttpExchange x, int status, String body) throws IOException {
    x.getRequestBody().readAllBytes();
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    x.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
    x.getResponseBody().write(b);
    x.close();
  }

  private String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  private JobType<HttpCall> start(Clock clock, HttpJobs.Builder http) {
    errand =
        Errand.builder()
            .store(SqliteJobStore.file(dir.resolve("http.db")))
            .clock(clock)
            .queue("default", 4)
            .pollInterval(Duration.ofMillis(200))
            .build();
    JobType<HttpCall> type = errand.register(http.clock(clock).build());
    errand.start();
    return type;
  }

  private JobType<HttpCall> start() {
    return start(
        Clock.systemUTC(),
        HttpJobs.builder().backoff(Backoff.fixed(Duration.ofMillis(50))).maxAttempts(3));
  }

  /**
   * Enqueues a GET of {@code path} and returns the job once its first attempt put it in RETRYING.
   */
  private Job retrying(JobType<HttpCall> type, String path) {
    long id = errand.enqueue(type, HttpCall.of("GET", url(path))).id();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> errand.job(id).orElseThrow().state() == JobState.RETRYING);
    return errand.job(id).orElseThrow();
  }

  private Job run(JobType<HttpCall> type, HttpCall call, Enqueue options) throws Exception {
    return errand.enqueue(type, call, options).await(Duration.ofSeconds(30));
  }

  @Test
  void
      a_2xx_answer_succeeds_with_status_and_body_as_the_result_and_the_request_carries_job_headers()
          throws Exception {
    JobType<HttpCall> type = start();
    Job done =
        run(
            type,
            HttpCall.of("post", url("/echo"))
                .withHeader("X-Custom", "yes")
                .withBody("{\"order\":42}"),
            Enqueue.now());
    assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
    JsonNode result = json.readTree(done.result());
    assertThat(result.get("status").asInt()).isEqualTo(201);
    assertThat(result.get("body").asText()).isEqualTo("created");
    assertThat(result.get("truncated").asBoolean()).isFalse();
    assertThat(received)
        .containsExactly(
            new HttpExchangeRecord(
                "POST", "/echo", Long.toString(done.id()), "1", "yes", "{\"order\":42}"));
  }

  @Test
  void a_5xx_answer_is_retried_with_backoff_until_it_succeeds_and_each_error_names_status_and_body()
      throws Exception {
    JobType<HttpCall> type = start();
    Job done = run(type, HttpCall.of("GET", url("/flaky")), Enqueue.now());
    assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(done.attempt()).isEqualTo(3);
    assertThat(done.errors())
        .extracting(AttemptError::message)
        .containsExactly(
            "dev.errand.server.http.HttpStatusException: GET "
                + url("/flaky")
                + " answered 500: boom",
            "dev.errand.server.http.HttpStatusException: GET "
                + url("/flaky")
                + " answered 500: boom");
    assertThat(json.readTree(done.result()).get("body").asText()).isEqualTo("ok");
  }

  @Test
  void a_5xx_answer_on_the_last_attempt_dead_letters_the_job() throws Exception {
    JobType<HttpCall> type = start();
    Job done = run(type, HttpCall.of("GET", url("/down")), Enqueue.now().maxAttempts(2));
    assertThat(done.state()).isEqualTo(JobState.FAILED);
    assertThat(done.attempt()).isEqualTo(2);
    assertThat(done.lastError()).endsWith("answered 503: maintenance");
  }

  @Test
  void a_429_with_retry_after_seconds_makes_the_next_attempt_due_after_exactly_that_delay()
      throws Exception {
    TestClock clock = new TestClock(Instant.now().truncatedTo(ChronoUnit.MILLIS));
    JobType<HttpCall> type =
        start(clock, HttpJobs.builder().backoff(Backoff.fixed(Duration.ofMillis(50))));
    Job waiting = retrying(type, "/limited");
    assertThat(waiting.attempt()).isEqualTo(1);
    assertThat(waiting.runAt()).isEqualTo(clock.instant().plusSeconds(120));
    assertThat(waiting.lastError())
        .isEqualTo(
            "dev.errand.RetryAfter: GET "
                + url("/limited")
                + " answered 429: slow down (Retry-After: 120, next attempt in PT2M)");
  }

  @Test
  void a_retry_after_http_date_is_measured_against_the_injected_clock() throws Exception {
    TestClock clock = new TestClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    retryAfterDate =
        DateTimeFormatter.RFC_1123_DATE_TIME.format(
            clock.instant().plusSeconds(300).atZone(ZoneOffset.UTC));
    JobType<HttpCall> type =
        start(clock, HttpJobs.builder().backoff(Backoff.fixed(Duration.ofMillis(50))));
    assertThat(retrying(type, "/limited-date").runAt()).isEqualTo(clock.instant().plusSeconds(300));
  }

  @Test
  void a_retry_after_longer_than_the_maximum_is_cut_to_the_maximum() throws Exception {
    TestClock clock = new TestClock(Instant.now().truncatedTo(ChronoUnit.MILLIS));
    JobType<HttpCall> type = start(clock, HttpJobs.builder().maxRetryAfter(Duration.ofSeconds(30)));
    assertThat(retrying(type, "/limited").runAt()).isEqualTo(clock.instant().plusSeconds(30));
  }

  @Test
  void a_404_fails_permanently_at_the_first_attempt_with_status_and_body_in_the_error()
      throws Exception {
    JobType<HttpCall> type = start();
    Job done = run(type, HttpCall.of("DELETE", url("/missing")), Enqueue.now());
    assertThat(done.state()).isEqualTo(JobState.FAILED);
    assertThat(done.attempt()).isEqualTo(1);
    assertThat(done.errors())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.kind()).isEqualTo("permanent");
              assertThat(e.message())
                  .isEqualTo(
                      "dev.errand.PermanentFailure: DELETE "
                          + url("/missing")
                          + " answered 404: no such hook");
            });
  }

  @Test
  void a_408_is_retried_like_a_5xx() throws Exception {
    JobType<HttpCall> type = start();
    Job done =
        run(
            type,
            HttpCall.of("PUT", url("/request-timeout")).withBody("x"),
            Enqueue.now().maxAttempts(2));
    assertThat(done.state()).isEqualTo(JobState.FAILED);
    assertThat(done.errors()).extracting(AttemptError::kind).containsExactly("error", "error");
    assertThat(done.lastError()).endsWith("PUT " + url("/request-timeout") + " answered 408");
  }

  @Test
  void a_3xx_left_after_following_redirects_fails_permanently() throws Exception {
    JobType<HttpCall> type = start();
    Job done = run(type, HttpCall.of("GET", url("/not-modified")), Enqueue.now());
    assertThat(done.state()).isEqualTo(JobState.FAILED);
    assertThat(done.errors()).singleElement().extracting(AttemptError::kind).isEqualTo("permanent");
    assertThat(done.lastError()).endsWith("answered 304");
  }

  @Test
  void a_server_slower_than_the_call_timeout_fails_the_attempt_as_a_timeout() throws Exception {
    JobType<HttpCall> type = start();
    Job done =
        run(
            type,
            HttpCall.of("GET", url("/slow")).withTimeout(Duration.ofMillis(300)),
            Enqueue.now().maxAttempts(2));
    assertThat(done.state()).isEqualTo(JobState.FAILED);
    assertThat(done.errors())
        .extracting(AttemptError::message)
        .containsOnly(
            "java.net.http.HttpTimeoutException: GET " + url("/slow") + " timed out after 300 ms");
    assertThat(done.errors()).hasSize(2);
  }

  @Test
  void a_refused_connection_is_a_network_error_that_is_retried() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    JobType<HttpCall> type = start();
    String target = "http://127.0.0.1:" + closedPort + "/hook";
    Job done = run(type, HttpCall.of("POST", target).withBody("x"), Enqueue.now().maxAttempts(2));
    assertThat(done.state()).isEqualTo(JobState.FAILED);
    assertThat(done.attempt()).isEqualTo(2);
    assertThat(done.errors())
        .hasSize(2)
        .allSatisfy(
            e -> {
              assertThat(e.kind()).isEqualTo("error");
              assertThat(e.message())
                  .startsWith(
                      "java.io.IOException: POST " + target + " failed: java.net.ConnectException");
            });
  }

  @Test
  void a_long_body_is_cut_to_the_excerpt_limit_and_marked_truncated() throws Exception {
    JobType<HttpCall> type = start(Clock.systemUTC(), HttpJobs.builder().excerptLimit(100));
    Job done = run(type, HttpCall.of("GET", url("/big")), Enqueue.now());
    JsonNode result = json.readTree(done.result());
    assertThat(result.get("body").asText()).isEqualTo("x".repeat(100));
    assertThat(result.get("truncated").asBoolean()).isTrue();
  }

  @Test
  void with_allowed_hosts_a_call_to_another_host_fails_permanently_without_a_request()
      throws Exception {
    JobType<HttpCall> type =
        start(
            Clock.systemUTC(),
            HttpJobs.builder().allowedHosts(List.of("localhost", "*.example.com")));
    Job done = run(type, HttpCall.of("POST", url("/echo")).withBody("x"), Enqueue.now());
    assertThat(done.state()).isEqualTo(JobState.FAILED);
    assertThat(done.errors()).singleElement().extracting(AttemptError::kind).isEqualTo("permanent");
    assertThat(done.lastError())
        .isEqualTo(
            "dev.errand.PermanentFailure: POST "
                + url("/echo")
                + " was not sent: host"
                + " '127.0.0.1' is not one of the allowed hosts [localhost, *.example.com] (ERRAND_HTTP_ALLOWED_HOSTS)");
    assertThat(received).isEmpty();
  }

  @Test
  void with_allowed_hosts_a_listed_host_is_called() throws Exception {
    JobType<HttpCall> type =
        start(Clock.systemUTC(), HttpJobs.builder().allowedHosts(List.of("127.0.0.1")));
    assertThat(run(type, HttpCall.of("POST", url("/echo")).withBody("x"), Enqueue.now()).state())
        .isEqualTo(JobState.SUCCEEDED);
    assertThat(received).hasSize(1);
  }

  @Test
  void bad_calls_are_rejected_when_built_with_a_message_naming_the_value() {
    assertThatThrownBy(() -> HttpCall.of("FETCH", "https://example.com"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'FETCH'")
        .hasMessageContaining("POST");
    assertThatThrownBy(() -> HttpCall.of("GET", "ftp://example.com/file"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("scheme 'ftp'");
    assertThatThrownBy(() -> HttpCall.of("GET", "/relative/path"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("scheme 'null'");
    assertThatThrownBy(() -> HttpCall.of("GET", "http://exa mple.com"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a valid URL");
    assertThatThrownBy(() -> HttpCall.of("GET", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("url is missing");
    assertThatThrownBy(() -> new HttpCall("GET", "https://example.com", null, null, -5L))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got -5");
    assertThatThrownBy(() -> new HttpCall("GET", "https://example.com", null, null, 0L))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got 0");
    assertThatThrownBy(() -> HttpCall.of("GET", "https://example.com").withHeader("Host", "evil"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'Host' is not allowed");
    assertThatThrownBy(
            () -> HttpCall.of("GET", "https://example.com").withHeader("X-Bad", "a\r\nInjected: 1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'X-Bad' is not allowed");
    assertThatThrownBy(() -> HttpCall.of("GET", "https://user:s3cret@example.com/"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Authorization header")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cret"));
  }

  @Test
  void bad_json_payloads_are_rejected_at_enqueue_with_the_reason() {
    start();
    assertThatThrownBy(
            () ->
                errand.enqueueJson(
                    "http", "{\"method\":\"GET\",\"url\":\"ftp://example.com\"}", Enqueue.now()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("scheme 'ftp'");
    assertThatThrownBy(
            () ->
                errand.enqueueJson(
                    "http", "{\"method\":\"BREW\",\"url\":\"https://example.com\"}", Enqueue.now()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'BREW'");
    assertThatThrownBy(
            () ->
                errand.enqueueJson(
                    "http",
                    "{\"method\":\"GET\",\"url\":\"https://example.com\",\"timeoutMillis\":-1}",
                    Enqueue.now()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("timeoutMillis")
        .hasMessageContaining("got -1");
    assertThat(errand.jobs(dev.errand.JobQuery.all().type("http")).jobs()).isEmpty();
  }

  @Test
  void a_json_payload_with_defaults_is_stored_normalized() throws Exception {
    start();
    long id =
        errand
            .enqueueJson(
                "http", "{\"method\":\"get\",\"url\":\"" + url("/echo") + "\"}", Enqueue.now())
            .id();
    JsonNode stored = json.readTree(errand.job(id).orElseThrow().payload());
    assertThat(stored.get("method").asText()).isEqualTo("GET");
    assertThat(stored.get("timeoutMillis").asLong()).isEqualTo(HttpCall.DEFAULT_TIMEOUT.toMillis());
    assertThat(errand.handle(id).await(Duration.ofSeconds(30)).state())
        .isEqualTo(JobState.SUCCEEDED);
  }
}
