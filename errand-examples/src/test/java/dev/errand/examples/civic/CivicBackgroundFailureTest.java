package dev.errand.examples.civic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.errand.Job;
import dev.errand.JobState;
import dev.errand.examples.Alerts;
import dev.errand.examples.TestHttp;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * What happens when the far side fails: the SMTP server (durable email job) and the SMS gateway
 * (after-response task), and the stored schedule that removes expired tokens.
 */
class CivicBackgroundFailureTest extends CivicTestBase {

  private Job emailJob() {
    return jobs("civic.send-email").get(0);
  }

  private double laneCount(String name, String outcome) {
    return app
        .errand()
        .meterRegistry()
        .find(name)
        .tags(outcome == null ? new String[0] : new String[] {"outcome", outcome})
        .counters()
        .stream()
        .mapToDouble(Counter::count)
        .sum();
  }

  @Test
  void an_email_is_retried_while_the_smtp_server_is_down_and_sent_when_it_comes_back()
      throws Exception {
    stopMail();
    start(config().emailRetries(10, Duration.ofMillis(100)));
    TestHttp citizen = signIn("+919876543210");

    TestHttp.Response r =
        citizen.post(
            "/api/v1/users/me/verification/email/send", "{\"email\":\"asha@example.org\"}");

    assertThat(r.status()).as("the request never waits for the mail server").isEqualTo(200);
    await().atMost(WAIT).until(() -> emailJob().errors().size() >= 2);
    assertThat(emailJob().state()).isIn(JobState.RETRYING, JobState.QUEUED, JobState.RUNNING);
    startMail();
    await().atMost(WAIT).until(() -> emailJob().state() == JobState.SUCCEEDED);
    assertThat(mail.getReceivedMessages()).hasSize(1);
    assertThat(emailJob().attempt()).isGreaterThanOrEqualTo(3);
    assertThat(http.get(link(0)).status()).isEqualTo(200);
    assertThat(me(citizen).get("emailVerified").asBoolean()).isTrue();
  }

  @Test
  void an_email_the_smtp_server_never_takes_is_dead_lettered_and_alerted() {
    stopMail();
    start(config().emailRetries(3, Duration.ofMillis(50)));
    TestHttp citizen = signIn("+919876543210");

    TestHttp.Response r =
        citizen.post(
            "/api/v1/users/me/verification/email/send", "{\"email\":\"asha@example.org\"}");

    assertThat(r.status()).isEqualTo(200);
    await().atMost(WAIT).until(() -> emailJob().state() == JobState.FAILED);
    Job job = emailJob();
    assertThat(job.attempt()).isEqualTo(3);
    assertThat(job.errors()).hasSize(3);
    await()
        .atMost(WAIT)
        .until(
            () ->
                app.alerts().list().stream()
                    .map(Alerts.Alert::key)
                    .anyMatch(k -> k.equals("job-failed:civic.send-email:" + job.id())));
    assertThat(me(citizen).get("emailVerified").asBoolean()).isFalse();
  }

  @Test
  void a_failing_sms_gateway_is_retried_after_the_response() {
    sms = RecordingSms.failingFirst(2);
    start();

    TestHttp.Response r = http.post("/api/v1/auth/request-otp", "{\"phone\":\"+919876543210\"}");

    assertThat(r.status()).isEqualTo(200);
    String code = awaitCode("+919876543210");
    assertThat(sms.calls()).isEqualTo(3);
    await().atMost(WAIT).until(() -> laneCount("errand.after.retries", null) == 2);
    assertThat(
            http.post(
                    "/api/v1/auth/verify-otp",
                    "{\"phone\":\"+919876543210\",\"otp\":\"" + code + "\"}")
                .status())
        .isEqualTo(200);
  }

  @Test
  void an_sms_gateway_that_keeps_failing_is_counted_and_never_touches_the_request() {
    sms = RecordingSms.alwaysFailing();
    start();

    TestHttp.Response r = http.post("/api/v1/auth/request-otp", "{\"phone\":\"+919876543210\"}");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("message").asText()).isEqualTo("OTP sent successfully");
    await().atMost(WAIT).until(() -> laneCount("errand.after.tasks", "failed") == 1);
    assertThat(sms.calls()).isEqualTo(3);
    assertThat(sms.texts()).isEmpty();
    TestHttp.Response again =
        http.post("/api/v1/auth/request-otp", "{\"phone\":\"+919876543210\"}");
    assertThat(again.status()).as("the citizen can ask for a new code").isEqualTo(200);
  }

  @Test
  void expired_tokens_are_deleted_by_a_stored_schedule() {
    start(config().tokenCleanupInterval(Duration.ofMinutes(30)));
    assertThat(app.errand().schedule(CivicApp.TOKEN_CLEANUP).orElseThrow().schedule().toString())
        .contains("PT30M");
    TestHttp citizen = signIn("+919876543210");
    citizen.post("/api/v1/users/me/verification/email/send", "{\"email\":\"asha@example.org\"}");
    http.post("/api/v1/auth/request-otp", "{\"phone\":\"+14155550123\"}");
    awaitCode("+14155550123");
    clock.advance(Duration.ofHours(25)); // past the OTP, access token and email link lifetimes

    long id = app.errand().triggerSchedule(CivicApp.TOKEN_CLEANUP).id();

    await().atMost(WAIT).until(() -> app.errand().job(id).orElseThrow().state().isFinal());
    Job job = app.errand().job(id).orElseThrow();
    assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(job.result()).isEqualTo("{\"otpCodes\":1,\"accessTokens\":1,\"emailTokens\":1}");
    assertThat(citizen.get("/api/v1/users/me").status()).isEqualTo(401);
  }

  @Test
  void an_email_job_with_an_invalid_address_fails_at_once_without_retries() {
    start();
    CivicJobs jobs = app.jobs();

    long id =
        app.errand()
            .enqueue(jobs.sendEmail, new CivicJobs.Email("not an address", "Hi", "Body"))
            .id();

    await().atMost(WAIT).until(() -> app.errand().job(id).orElseThrow().state().isFinal());
    Job job = app.errand().job(id).orElseThrow();
    assertThat(job.state()).isEqualTo(JobState.FAILED);
    assertThat(job.attempt()).isEqualTo(1);
    assertThat(job.lastError()).contains("email address 'not an address' is not valid");
    assertThat(mail.getReceivedMessages()).isEmpty();
  }
}
