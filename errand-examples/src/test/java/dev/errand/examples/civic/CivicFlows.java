package dev.errand.examples.civic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.JobState;
import dev.errand.examples.TestHttp;
import jakarta.mail.Message;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.Test;

/**
 * The core flows of 001 over HTTP, each background effect observed through the API: sign-in, a
 * report and email verification. Run on SQLite and on PostgreSQL.
 */
abstract class CivicFlows extends CivicTestBase {

  @Test
  void a_login_is_audited_in_the_request_and_counted_after_the_response() {
    start();
    TestHttp.Response sent = http.post("/api/v1/auth/request-otp", "{\"phone\":\"+919876543210\"}");
    assertThat(sent.status()).isEqualTo(200);
    assertThat(sent.json().get("message").asText()).isEqualTo("OTP sent successfully");
    String code = awaitCode("+919876543210"); // the text goes out after the response
    assertThat(sms.texts()).containsExactly("+919876543210: Your CivicLens code is " + code);

    TestHttp.Response token =
        http.post(
            "/api/v1/auth/verify-otp", "{\"phone\":\"+919876543210\",\"otp\":\"" + code + "\"}");

    assertThat(token.status()).as(token.body()).isEqualTo(200);
    assertThat(token.json().get("token_type").asText()).isEqualTo("bearer");
    TestHttp me = http.with("Authorization", "Bearer " + token.json().get("access_token").asText());
    // the security audit entry was written before the response, so it is there at once
    assertThat(actions(me)).containsExactly("login");
    assertThat(me.get("/api/v1/users/me/activity").json().get(0).get("status").asText())
        .isEqualTo("success");
    await().atMost(WAIT).until(() -> me(me).get("loginCount").asInt() == 1);
    assertThat(me(me).get("lastLoginAt").asText()).isEqualTo("2025-10-29T10:00:00Z");
    assertThat(me(me).get("phone").asText()).isEqualTo("+919876543210");
  }

  @Test
  void a_report_answers_201_and_its_reputation_review_and_audit_follow() {
    start();
    TestHttp citizen = signIn("+919876543210");

    TestHttp.Response r =
        citizen.post(
            "/api/v1/reports",
            "{\"title\":\"Test Report\",\"description\":\"Testing background tasks\","
                + "\"latitude\":23.3441,\"longitude\":85.3096,\"severity\":\"medium\"}");

    assertThat(r.status()).as(r.body()).isEqualTo(201);
    assertThat(r.json().get("title").asText()).isEqualTo("Test Report");
    assertThat(r.json().get("status").asText()).isEqualTo("received");
    long id = r.json().get("id").asLong();
    await().atMost(WAIT).until(() -> me(citizen).get("reputation").asInt() == 5);
    await()
        .atMost(WAIT)
        .until(() -> http.get("/api/v1/reports/" + id).json().get("queuedForReview").asBoolean());
    await().atMost(WAIT).until(() -> actions(citizen).contains("report_created"));
    JsonNode audit = citizen.get("/api/v1/users/me/activity").json().get(1);
    assertThat(audit.get("description").asText()).isEqualTo("Created report: Test Report");
    assertThat(audit.get("resourceId").asText()).isEqualTo(String.valueOf(id));
    assertThat(jobs("civic.queue-for-review"))
        .singleElement()
        .satisfies(j -> assertThat(j.state()).isEqualTo(JobState.SUCCEEDED));
  }

  @Test
  void email_verification_goes_through_a_real_smtp_server_and_its_link_verifies() throws Exception {
    start();
    TestHttp citizen = signIn("+14155550123");

    TestHttp.Response r =
        citizen.post(
            "/api/v1/users/me/verification/email/send", "{\"email\":\"asha@example.org\"}");

    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("message").asText()).isEqualTo("Verification email sent");
    assertThat(me(citizen).get("emailVerified").asBoolean()).isFalse();
    await().atMost(WAIT).until(() -> mail.getReceivedMessages().length == 1);
    MimeMessage m = mail.getReceivedMessages()[0];
    assertThat(m.getSubject()).isEqualTo("Verify your email");
    assertThat(m.getRecipients(Message.RecipientType.TO)[0].toString())
        .isEqualTo("asha@example.org");

    TestHttp.Response verified = http.get(link(0));

    assertThat(verified.status()).as(verified.body()).isEqualTo(200);
    assertThat(verified.json().get("email").asText()).isEqualTo("asha@example.org");
    assertThat(me(citizen).get("emailVerified").asBoolean()).isTrue();
    assertThat(actions(citizen)).contains("email_verified");
    assertThat(http.get(link(0)).status()).as("a link works once").isEqualTo(400);
  }
}
