package dev.errand.examples.civic;

import static dev.errand.examples.ExampleDatabase.number;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.errand.Errand;
import dev.errand.examples.ExampleServer;
import dev.errand.examples.TestHttp;
import io.javalin.Javalin;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** 001's endpoints on SQLite: bad input, authentication, and the synchronous ("before") mode. */
class CivicApiTest extends CivicTestBase {

  private static void assertBadRequest(TestHttp.Response r, String message) {
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.json().get("error").asText()).isEqualTo("BadRequest");
    assertThat(r.json().get("message").asText()).contains(message);
  }

  @Test
  void bad_input_is_a_400_whose_message_says_what_to_fix() {
    start();
    assertBadRequest(
        http.post("/api/v1/auth/request-otp", "{\"phone\":\"98765\"}"),
        "phone must be in international format: + then 8 to 15 digits, e.g. +919876543210;"
            + " got '98765'");
    assertBadRequest(http.post("/api/v1/auth/request-otp", "{}"), "got nothing");
    assertBadRequest(
        http.post("/api/v1/auth/request-otp", "{\"phone\":"), "the request body is not valid");
    assertBadRequest(
        http.post("/api/v1/auth/request-otp", "{\"phone\":\"+919876543210\",\"pin\":1}"),
        "the request body is not valid");
    assertBadRequest(
        http.post("/api/v1/auth/verify-otp", "{\"phone\":\"+919876543210\",\"otp\":\"12\"}"),
        "otp must be the 6-digit code sent to +919876543210");
    TestHttp citizen = signIn("+919876543210");
    assertBadRequest(
        citizen.post("/api/v1/reports", "{\"description\":\"d\",\"latitude\":1,\"longitude\":2}"),
        "title is required, 1-200 characters");
    assertBadRequest(
        citizen.post(
            "/api/v1/reports",
            "{\"title\":\"t\",\"description\":\"d\",\"latitude\":91,\"longitude\":2}"),
        "latitude is required, a number from -90 to 90; got 91.0");
    assertBadRequest(
        citizen.post("/api/v1/reports", "{\"title\":\"t\",\"description\":\"d\",\"latitude\":1}"),
        "longitude is required, a number from -180 to 180; got null");
    assertBadRequest(
        citizen.post(
            "/api/v1/reports",
            "{\"title\":\"t\",\"description\":\"d\",\"latitude\":1,\"longitude\":2,"
                + "\"severity\":\"urgent\"}"),
        "severity must be one of [low, medium, high, critical], got urgent");
    assertBadRequest(
        citizen.post("/api/v1/users/me/verification/email/send", "{\"email\":\"asha\"}"),
        "email must be an address such as name@example.org, got 'asha'");
    assertBadRequest(http.get("/api/v1/users/verify-email"), "token is missing");
    assertBadRequest(
        http.get("/api/v1/users/verify-email?token=nope"),
        "the verification link is invalid or expired");
    assertThat(http.get("/api/v1/reports/999").status()).isEqualTo(404);
    assertThat(jobs("civic.send-email")).isEmpty();
  }

  @Test
  void a_wrong_code_is_refused_with_the_attempts_left_and_audited_at_once() {
    start();
    http.post("/api/v1/auth/request-otp", "{\"phone\":\"+919876543210\"}");
    String code = awaitCode("+919876543210");
    String wrong = code.equals("000000") ? "111111" : "000000";

    TestHttp.Response r =
        http.post(
            "/api/v1/auth/verify-otp", "{\"phone\":\"+919876543210\",\"otp\":\"" + wrong + "\"}");

    assertThat(r.status()).isEqualTo(401);
    assertThat(r.json().get("message").asText()).isEqualTo("the code is wrong: 4 attempts left");
    long failures =
        app.database()
            .read(
                c ->
                    number(
                        c,
                        "SELECT COUNT(*) FROM audit_log WHERE action = 'login' AND status = 'failure'"));
    assertThat(failures).as("audited before the response").isEqualTo(1);
    TestHttp.Response ok =
        http.post(
            "/api/v1/auth/verify-otp", "{\"phone\":\"+919876543210\",\"otp\":\"" + code + "\"}");
    assertThat(ok.status()).isEqualTo(200);
    TestHttp.Response again =
        http.post(
            "/api/v1/auth/verify-otp", "{\"phone\":\"+919876543210\",\"otp\":\"" + code + "\"}");
    assertThat(again.status()).as("a code works once").isEqualTo(401);
    assertThat(again.json().get("message").asText()).contains("request a new one");
  }

  @Test
  void an_expired_code_or_token_is_refused_and_signed_in_endpoints_need_a_token() {
    start();
    TestHttp citizen = signIn("+919876543210");
    http.post("/api/v1/auth/request-otp", "{\"phone\":\"+14155550123\"}");
    String code = awaitCode("+14155550123");
    clock.advance(Duration.ofMinutes(6));
    TestHttp.Response late =
        http.post(
            "/api/v1/auth/verify-otp", "{\"phone\":\"+14155550123\",\"otp\":\"" + code + "\"}");
    assertThat(late.status()).isEqualTo(401);
    assertThat(late.json().get("message").asText()).contains("it expired or was never sent");

    assertThat(http.get("/api/v1/users/me").json().get("message").asText())
        .contains("sign in first: send Authorization: Bearer <access_token>");
    assertThat(http.with("Authorization", "Basic x").get("/api/v1/users/me").status())
        .isEqualTo(401);
    assertThat(me(citizen).get("phone").asText()).isEqualTo("+919876543210");
    clock.advance(Duration.ofHours(25));
    TestHttp.Response expired = citizen.get("/api/v1/users/me");
    assertThat(expired.status()).isEqualTo(401);
    assertThat(expired.json().get("message").asText()).contains("unknown or expired");
  }

  @Test
  void an_anonymous_report_is_queued_for_review_and_earns_no_reputation() {
    start();
    long id = createReport(http, "Pothole on Main Road");
    await()
        .atMost(WAIT)
        .until(() -> http.get("/api/v1/reports/" + id).json().get("queuedForReview").asBoolean());
    assertThat(http.get("/api/v1/reports/" + id).json().get("userId").isNull()).isTrue();
    await()
        .atMost(WAIT)
        .until(
            () ->
                app.database()
                        .read(
                            c ->
                                number(
                                    c,
                                    "SELECT COUNT(*) FROM audit_log WHERE action = 'report_created'"))
                    == 1);
  }

  @Test
  void without_background_work_every_effect_is_done_when_the_response_arrives() throws Exception {
    start(config().background(false));
    TestHttp.Response sent = http.post("/api/v1/auth/request-otp", "{\"phone\":\"+919876543210\"}");
    assertThat(sent.status()).isEqualTo(200);
    String code = sms.code("+919876543210"); // sent inside the request
    assertThat(code).isNotNull();
    TestHttp.Response t =
        http.post(
            "/api/v1/auth/verify-otp", "{\"phone\":\"+919876543210\",\"otp\":\"" + code + "\"}");
    TestHttp citizen =
        http.with("Authorization", "Bearer " + t.json().get("access_token").asText());
    assertThat(me(citizen).get("loginCount").asInt()).isEqualTo(1);

    TestHttp.Response r =
        citizen.post(
            "/api/v1/reports",
            "{\"title\":\"Streetlight out\",\"description\":\"Dark since Monday\","
                + "\"latitude\":23.3,\"longitude\":85.3}");

    assertThat(r.status()).isEqualTo(201);
    assertThat(r.json().get("queuedForReview").asBoolean()).isTrue();
    assertThat(me(citizen).get("reputation").asInt()).isEqualTo(5);
    assertThat(actions(citizen)).containsExactly("login", "report_created");
    assertThat(
            citizen
                .post(
                    "/api/v1/users/me/verification/email/send", "{\"email\":\"asha@example.org\"}")
                .status())
        .isEqualTo(200);
    assertThat(mail.getReceivedMessages()).hasSize(1);
    assertThat(http.get(link(0)).status()).isEqualTo(200);
    assertThat(jobs("civic.send-email")).as("nothing was left for a worker").isEmpty();
    assertThat(jobs("civic.queue-for-review")).isEmpty();
  }

  @Test
  void the_app_mounts_on_a_host_server_with_its_after_response_plugin() throws Exception {
    int port = TestHttp.closedPort();
    assertThatThrownBy(() -> CivicApp.create(config().build()))
        .hasMessageContaining("without its own server the app needs publicBaseUrl");
    app = CivicApp.create(config().publicBaseUrl("http://127.0.0.1:" + port).build());
    Javalin host =
        ExampleServer.startConfigured(
            Errand.defaultMapper(),
            "127.0.0.1",
            port,
            cfg -> {
              cfg.registerPlugin(app.afterResponsePlugin());
              app.routes(cfg.routes);
            });
    try {
      http = new TestHttp("http://127.0.0.1:" + port);
      TestHttp citizen = signIn("+919876543210");
      citizen.post("/api/v1/users/me/verification/email/send", "{\"email\":\"asha@example.org\"}");
      await().atMost(WAIT).until(() -> mail.getReceivedMessages().length == 1);
      assertThat(http.get(link(0)).status()).isEqualTo(200);
      assertThat(me(citizen).get("emailVerified").asBoolean()).isTrue();
    } finally {
      host.stop();
    }
  }

  @Test
  void the_response_does_not_wait_for_the_sms_gateway() throws Exception {
    CountDownLatch gatewayMayAnswer = new CountDownLatch(1);
    CountDownLatch sending = new CountDownLatch(1);
    RecordingSms recorded = sms;
    start(
        config()
            .smsSender(
                (phone, text) -> {
                  sending.countDown();
                  if (!gatewayMayAnswer.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the test never released the gateway");
                  }
                  recorded.send(phone, text);
                }));

    TestHttp.Response r = http.post("/api/v1/auth/request-otp", "{\"phone\":\"+919876543210\"}");

    assertThat(r.status()).as("answered while the gateway still holds the text").isEqualTo(200);
    assertThat(sending.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(sms.texts()).isEmpty();
    gatewayMayAnswer.countDown();
    awaitCode("+919876543210");
  }
}
