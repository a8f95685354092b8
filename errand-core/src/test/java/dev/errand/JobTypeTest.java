package dev.errand;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class JobTypeTest {
  record P(String s) {}

  @Test
  void options_are_copied_not_mutated() {
    JobType<P> base = JobType.of("t", P.class, (c, p) -> {});
    JobType<P> email =
        base.queue("email")
            .maxAttempts(5)
            .priority(3)
            .timeout(Duration.ofSeconds(9))
            .backoff(Backoff.fixed(Duration.ofSeconds(1)))
            .permanentOn(UncheckedIOException.class);
    assertThat(base.queue()).isEqualTo(JobType.DEFAULT_QUEUE);
    assertThat(base.maxAttempts()).isEqualTo(JobType.DEFAULT_MAX_ATTEMPTS);
    assertThat(base.timeout()).isNull();
    assertThat(email.queue()).isEqualTo("email");
    assertThat(email.maxAttempts()).isEqualTo(5);
    assertThat(email.priority()).isEqualTo(3);
    assertThat(email.timeout()).isEqualTo(Duration.ofSeconds(9));
    assertThat(email.isPermanent(new UncheckedIOException(new java.io.IOException()))).isTrue();
    assertThat(email.isPermanent(new PermanentFailure("x"))).isTrue();
    assertThat(email.isPermanent(new IllegalStateException())).isFalse();
  }

  @Test
  void names_and_values_are_validated() {
    assertThatThrownBy(() -> JobType.of("", P.class, (c, p) -> {}))
        .hasMessageContaining("job type name ''");
    assertThatThrownBy(() -> JobType.of("has space", P.class, (c, p) -> {}))
        .hasMessageContaining("not valid");
    assertThatThrownBy(() -> JobType.of("x", P.class, (c, p) -> {}).timeout(Duration.ZERO))
        .hasMessageContaining("timeout must be positive");
    assertThatThrownBy(() -> Enqueue.now().uniqueKey(" ")).hasMessageContaining("unique key");
    assertThatThrownBy(() -> Enqueue.now().tags("a,b")).hasMessageContaining("without commas");
    // PostgreSQL text cannot hold NUL: say so at enqueue instead of failing in the store
    assertThatThrownBy(() -> Enqueue.now().uniqueKey("a\u0000b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NUL");
    assertThatThrownBy(() -> Enqueue.now().tags("a\u0000b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NUL");
  }

  @Test
  void enqueue_options_compute_the_run_time() {
    Instant now = Instant.parse("2024-01-31T10:00:00Z");
    assertThat(Enqueue.now().runAt(now)).isEqualTo(now);
    assertThat(Enqueue.after(Duration.ofSeconds(5)).runAt(now)).isEqualTo(now.plusSeconds(5));
    assertThat(Enqueue.at(now.minusSeconds(1)).runAt(now)).isEqualTo(now.minusSeconds(1));
    Enqueue e =
        Enqueue.after(Duration.ZERO)
            .uniqueKey("k")
            .tags("a")
            .tags("b")
            .priority(2)
            .maxAttempts(3)
            .queue("q");
    assertThat(e.tags()).containsExactlyInAnyOrder("a", "b");
    assertThat(e.uniqueKey()).isEqualTo("k");
    assertThat(e.priority()).isEqualTo(2);
    assertThat(e.maxAttempts()).isEqualTo(3);
    assertThat(e.queue()).isEqualTo("q");
  }

  @Test
  void effective_state_shows_due_scheduled_and_retrying_jobs_as_queued() {
    Instant now = Instant.now();
    Job due =
        new Job(
            1,
            "t",
            "q",
            "{}",
            JobState.RETRYING,
            0,
            1,
            3,
            now.minusSeconds(1),
            null,
            null,
            null,
            now,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            0);
    Job later =
        new Job(
            1,
            "t",
            "q",
            "{}",
            JobState.SCHEDULED,
            0,
            0,
            3,
            now.plusSeconds(60),
            null,
            null,
            null,
            now,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            0);
    assertThat(due.effectiveState(now)).isEqualTo(JobState.QUEUED);
    assertThat(later.effectiveState(now)).isEqualTo(JobState.SCHEDULED);
    assertThat(JobState.parse("failed")).isEqualTo(JobState.FAILED);
    assertThatThrownBy(() -> JobState.parse("done")).hasMessageContaining("use one of");
  }
}
