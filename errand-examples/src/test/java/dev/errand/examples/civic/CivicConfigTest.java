package dev.errand.examples.civic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link CivicConfig}: 001's defaults, and bad settings rejected naming them. */
class CivicConfigTest {
  private final CivicConfig.Builder builder = CivicConfig.builder(Path.of("data/civic"));

  @Test
  void the_defaults_are_001s_lifetimes_and_background_work_is_on() {
    CivicConfig c = builder.build();
    assertThat(c.background()).isTrue();
    assertThat(c.otpTtl()).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.reputationPerReport()).isEqualTo(5);
    assertThat(c.emailAttempts()).isEqualTo(6);
    assertThat(c.emailBackoff()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.tokenCleanupInterval()).isEqualTo(Duration.ofHours(1));
  }

  @Test
  void a_bad_setting_is_rejected_naming_it() {
    assertThatThrownBy(() -> builder.smtp("127.0.0.1", 70000).build())
        .hasMessage("smtpPort must be 0-65535, got 70000");
    assertThatThrownBy(() -> CivicConfig.builder(Path.of("x")).workers(0).build())
        .hasMessage("workers must be at least 1, got 0");
    assertThatThrownBy(
            () -> CivicConfig.builder(Path.of("x")).emailRetries(0, Duration.ofSeconds(1)).build())
        .hasMessage("emailAttempts must be at least 1, got 0");
    assertThatThrownBy(() -> CivicConfig.builder(Path.of("x")).otpTtl(Duration.ZERO).build())
        .hasMessage("durations must be positive, got PT0S");
    assertThatThrownBy(() -> CivicConfig.builder(Path.of("x")).publicBaseUrl("civic").build())
        .hasMessageContaining("publicBaseUrl must be an http(s) URL");
  }
}
