package dev.errand.examples.civic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.errand.Job;
import dev.errand.JobQuery;
import dev.errand.TestClock;
import dev.errand.examples.ExampleDatabase;
import dev.errand.examples.TestHttp;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts a {@link CivicApp} per test on a real socket, with a GreenMail SMTP server on a loopback
 * port of its own and a recording SMS gateway.
 */
abstract class CivicTestBase {
  static final Duration WAIT = Duration.ofSeconds(30);
  private static final Pattern LINK = Pattern.compile("(/api/v1/users/verify-email\\?token=\\S+)");

  @TempDir Path dir;
  final TestClock clock = new TestClock(Instant.parse("2025-10-29T10:00:00Z"));
  final int smtpPort = TestHttp.closedPort();
  GreenMail mail;
  RecordingSms sms = RecordingSms.working();
  CivicApp app;
  TestHttp http;

  Supplier<ExampleDatabase> database() {
    return () -> ExampleDatabase.sqlite(dir.resolve("civic.db"));
  }

  CivicConfig.Builder config() {
    return CivicConfig.builder(dir)
        .database(database())
        .clock(clock)
        .smtp("127.0.0.1", smtpPort)
        .smtpTimeout(Duration.ofSeconds(5))
        .smsSender(sms)
        .emailRetries(6, Duration.ofMillis(100))
        .smsRetries(3, Duration.ofMillis(50));
  }

  @BeforeEach
  void startMailServer() {
    startMail();
  }

  void startMail() {
    mail = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    mail.start();
  }

  void stopMail() {
    if (mail != null) {
      mail.stop();
      mail = null;
    }
  }

  CivicApp start(CivicConfig.Builder config) {
    app = CivicApp.start(config.build());
    http = new TestHttp(app.baseUrl());
    return app;
  }

  CivicApp start() {
    return start(config());
  }

  @AfterEach
  void stop() {
    if (app != null) {
      app.close();
      app = null;
    }
    stopMail();
  }

  /** Requests a code for {@code phone}, waits for its text and signs in: the bearer client. */
  TestHttp signIn(String phone) {
    TestHttp.Response r = http.post("/api/v1/auth/request-otp", "{\"phone\":\"" + phone + "\"}");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    String code = awaitCode(phone);
    TestHttp.Response t =
        http.post(
            "/api/v1/auth/verify-otp", "{\"phone\":\"" + phone + "\",\"otp\":\"" + code + "\"}");
    assertThat(t.status()).as(t.body()).isEqualTo(200);
    return http.with("Authorization", "Bearer " + t.json().get("access_token").asText());
  }

  String awaitCode(String phone) {
    await().atMost(WAIT).until(() -> sms.code(phone) != null);
    return sms.code(phone);
  }

  JsonNode me(TestHttp as) {
    TestHttp.Response r = as.get("/api/v1/users/me");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json();
  }

  List<String> actions(TestHttp as) {
    return as.get("/api/v1/users/me/activity").json().findValuesAsText("action");
  }

  long createReport(TestHttp as, String title) {
    TestHttp.Response r =
        as.post(
            "/api/v1/reports",
            "{\"title\":\""
                + title
                + "\",\"description\":\"Testing background tasks\",\"latitude\":23.3441,"
                + "\"longitude\":85.3096,\"severity\":\"medium\"}");
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return r.json().get("id").asLong();
  }

  List<Job> jobs(String type) {
    return app.errand().jobs(JobQuery.all().type(type)).jobs();
  }

  /** The verification link of the {@code n}th email GreenMail received, as a path. */
  String link(int n) throws Exception {
    MimeMessage[] received = mail.getReceivedMessages();
    Matcher m = LINK.matcher((String) received[n].getContent());
    assertThat(m.find()).as("a verification link in the email").isTrue();
    return m.group(1);
  }
}
