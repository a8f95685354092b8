package dev.errand.examples.recurring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.errand.examples.ApiError;
import dev.errand.examples.TestHttp;
import org.junit.jupiter.api.Test;

/** 003's {@code internalAuth}: the API key when one is set, loopback only when none is. */
class InternalApiAccessTest extends RecurringTasksTestBase {

  @Test
  void the_three_loopback_forms_of_the_seed_are_loopback_and_others_are_not() {
    assertThat(InternalApi.isLoopback("127.0.0.1")).isTrue();
    assertThat(InternalApi.isLoopback("::1")).isTrue();
    assertThat(InternalApi.isLoopback("::ffff:127.0.0.1")).isTrue();
    assertThat(InternalApi.isLoopback("[0:0:0:0:0:0:0:1]")).isTrue();
    assertThat(InternalApi.isLoopback("10.0.0.5")).isFalse();
    assertThat(InternalApi.isLoopback("::ffff:10.0.0.5")).isFalse();
    assertThat(InternalApi.isLoopback("localhost.example.com")).isFalse();
    assertThat(InternalApi.isLoopback(null)).isFalse();
  }

  @Test
  void without_a_key_a_remote_client_is_refused_and_a_local_one_let_in() {
    assertThatThrownBy(() -> InternalApi.check("10.0.0.5", null, null))
        .isInstanceOf(ApiError.class)
        .hasMessage("Internal API access restricted")
        .extracting(e -> ((ApiError) e).status())
        .isEqualTo(403);
    assertThatCode(() -> InternalApi.check("127.0.0.1", null, null)).doesNotThrowAnyException();
    assertThatCode(() -> InternalApi.check("::1", null, "anything")).doesNotThrowAnyException();
  }

  @Test
  void with_a_key_every_client_needs_it_even_a_local_one() {
    assertThatThrownBy(() -> InternalApi.check("127.0.0.1", "s3cret", null))
        .hasMessage("Invalid internal API key");
    assertThatThrownBy(() -> InternalApi.check("127.0.0.1", "s3cret", "s3cre"))
        .hasMessage("Invalid internal API key");
    assertThatCode(() -> InternalApi.check("10.0.0.5", "s3cret", "s3cret"))
        .doesNotThrowAnyException();
  }

  @Test
  void over_the_socket_a_wrong_key_gets_403_and_the_right_one_gets_in() {
    start(config().internalApiKey("your-secret-key"));

    TestHttp.Response none = internal.get("/internal/worker/health");
    TestHttp.Response wrong =
        internal.with("x-internal-api-key", "guess").get("/internal/worker/health");
    TestHttp.Response right =
        internal.with("x-internal-api-key", "your-secret-key").get("/internal/worker/health");

    assertThat(none.status()).isEqualTo(403);
    assertThat(wrong.status()).isEqualTo(403);
    assertThat(wrong.json().toString())
        .isEqualTo("{\"error\":\"Forbidden\",\"message\":\"Invalid internal API key\"}");
    assertThat(internal.post("/internal/worker/tasks/cleanup", "").status()).isEqualTo(403);
    assertThat(right.status()).isEqualTo(200);
    // the app's own triggers carry the key
    String id =
        createTask("Daily Standup", "2024-02-01T09:00:00.000Z", "daily").get("_id").asText();
    assertThat(awaitDueDates(id, 3)).hasSize(3);
  }

  @Test
  void over_the_socket_without_a_key_loopback_clients_get_in() {
    start(config());
    assertThat(internal.get("/internal/worker/health").status()).isEqualTo(200);
    assertThat(internal.get("/internal/worker/stats").status()).isEqualTo(200);
    // the socket's address decides, not a header the client writes
    assertThat(
            internal.with("X-Forwarded-For", "203.0.113.7").get("/internal/worker/health").status())
        .isEqualTo(200);
  }
}
