package dev.errand;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  @Test
  void exponential_two_seconds_gives_exactly_the_classic_sequence() {
    Backoff b = Backoff.exponential(Duration.ofSeconds(2));
    assertThat(b.delay(1)).isEqualTo(Duration.ofSeconds(2));
    assertThat(b.delay(2)).isEqualTo(Duration.ofSeconds(4));
    assertThat(b.delay(3)).isEqualTo(Duration.ofSeconds(8));
    assertThat(b.delay(4)).isEqualTo(Duration.ofSeconds(16));
    assertThat(b.delay(10)).isEqualTo(Duration.ofSeconds(1024));
  }

  @Test
  void exponential_is_capped_and_never_overflows() {
    Backoff b = Backoff.exponential(Duration.ofSeconds(2));
    assertThat(b.delay(12)).isEqualTo(Backoff.DEFAULT_CAP);
    assertThat(b.delay(1000)).isEqualTo(Backoff.DEFAULT_CAP);
    Backoff capped = b.withCap(Duration.ofSeconds(10));
    assertThat(capped.delay(3)).isEqualTo(Duration.ofSeconds(8));
    assertThat(capped.delay(4)).isEqualTo(Duration.ofSeconds(10));
    assertThat(Backoff.exponential(Duration.ofDays(2)).delay(1)).isEqualTo(Duration.ofDays(2));
  }

  @Test
  void jitter_stays_within_its_fraction() {
    Backoff b = Backoff.exponential(Duration.ofSeconds(10)).withJitter(0.2);
    for (int i = 0; i < 1000; i++) {
      assertThat(b.delay(1)).isBetween(Duration.ofSeconds(8), Duration.ofSeconds(12));
    }
  }

  @Test
  void fixed_waits_the_same_after_every_attempt() {
    Backoff b = Backoff.fixed(Duration.ofMillis(250));
    assertThat(b.delay(1)).isEqualTo(b.delay(9)).isEqualTo(Duration.ofMillis(250));
  }

  @Test
  void invalid_values_are_rejected_with_the_value_named() {
    assertThatThrownBy(() -> Backoff.exponential(Duration.ZERO))
        .hasMessageContaining("base must be positive, got PT0S");
    assertThatThrownBy(
            () -> Backoff.exponential(Duration.ofSeconds(5)).withCap(Duration.ofSeconds(1)))
        .hasMessageContaining("shorter than its base");
    assertThatThrownBy(() -> Backoff.fixed(Duration.ofSeconds(1)).withJitter(1.5))
        .hasMessageContaining("got 1.5");
    assertThatThrownBy(() -> Backoff.fixed(Duration.ofSeconds(1)).delay(0))
        .hasMessageContaining("start at 1");
  }
}
