package dev.errand.examples.marketplace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MarketplaceConfigTest {

  @Test
  void the_environment_sets_what_it_names_and_leaves_the_rest_at_the_defaults() {
    MarketplaceConfig c =
        MarketplaceConfig.fromEnv(
            Map.of(
                "PORT", "7100",
                "HOST", "0.0.0.0",
                "CANCEL_LIMIT", "5",
                "CACHE_TTL", "PT30S",
                "TASK_TIMEOUT", "PT2S",
                "AFTER_RESPONSE_THREADS", " 2 "));

    assertThat(c.port()).isEqualTo(7100);
    assertThat(c.host()).isEqualTo("0.0.0.0");
    assertThat(c.cancelLimit()).isEqualTo(5);
    assertThat(c.cacheTtl()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.taskTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.laneThreads()).isEqualTo(2);
    assertThat(c.sseKeepAlive()).isEqualTo(Duration.ofSeconds(15));
    assertThat(c.users()).containsEntry("ada", "admin").containsEntry("pia", "member");
    assertThat(MarketplaceConfig.fromEnv(Map.of()).port()).isEqualTo(7000);
  }

  @Test
  void a_bad_value_is_rejected_naming_its_variable_or_setting() {
    assertThatThrownBy(() -> MarketplaceConfig.fromEnv(Map.of("PORT", "seven")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("PORT=seven is not valid");
    assertThatThrownBy(() -> MarketplaceConfig.fromEnv(Map.of("CACHE_TTL", "5 minutes")))
        .hasMessageStartingWith("CACHE_TTL=5 minutes is not valid");
    assertThatThrownBy(() -> MarketplaceConfig.fromEnv(Map.of("CANCEL_LIMIT", "0")))
        .hasMessage("cancelLimit must be at least 1, got 0");
    assertThatThrownBy(() -> MarketplaceConfig.builder().users(Map.of("x", "owner")).build())
        .hasMessage("user x has role 'owner': use [admin, member]");
  }
}
