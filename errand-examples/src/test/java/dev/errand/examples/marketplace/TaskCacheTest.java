package dev.errand.examples.marketplace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.errand.TestClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TaskCacheTest {
  private final TestClock clock = new TestClock(Instant.parse("2024-03-01T10:00:00Z"));
  private final TaskCache cache = TaskCache.local(clock, Duration.ofMinutes(1), 2);

  @Test
  void a_value_is_loaded_once_and_then_served_from_the_cache() {
    assertThat(cache.get("k", () -> "v")).isEqualTo(new TaskCache.Lookup<>("v", false));
    assertThat(cache.get("k", () -> "other")).isEqualTo(new TaskCache.Lookup<>("v", true));
    cache.invalidate(List.of("k"));
    assertThat(cache.get("k", () -> "new")).isEqualTo(new TaskCache.Lookup<>("new", false));
  }

  @Test
  void a_load_that_an_invalidation_overtakes_is_served_but_never_cached() {
    TaskCache.Lookup<String> stale =
        cache.get(
            "k",
            () -> {
              cache.invalidate(List.of("k")); // a change commits while this reader loads
              return "read before the change";
            });

    assertThat(stale.value()).isEqualTo("read before the change");
    assertThat(cache.contains("k")).isFalse();
    assertThat(cache.get("k", () -> "after").value()).isEqualTo("after");
    assertThat(cache.contains("k")).isTrue();
  }

  @Test
  void an_entry_expires_after_its_ttl() {
    cache.get("k", () -> "v");
    clock.advance(Duration.ofSeconds(59));
    assertThat(cache.contains("k")).isTrue();
    clock.advance(Duration.ofSeconds(1));
    assertThat(cache.contains("k")).isFalse();
    assertThat(cache.get("k", () -> "fresh")).isEqualTo(new TaskCache.Lookup<>("fresh", false));
  }

  @Test
  void beyond_its_size_loaded_values_are_served_without_being_cached() {
    cache.get("a", () -> 1);
    cache.get("b", () -> 2);
    assertThat(cache.get("c", () -> 3)).isEqualTo(new TaskCache.Lookup<>(3, false));
    assertThat(cache.contains("c")).isFalse();
    assertThat(cache.contains("a")).isTrue();
    clock.advance(Duration.ofMinutes(1));
    cache.get("c", () -> 3);
    assertThat(cache.contains("c")).as("expired entries made room").isTrue();
  }

  @Test
  void a_missing_value_is_never_cached() {
    assertThat(cache.get("task:404", () -> null)).isEqualTo(new TaskCache.Lookup<>(null, false));
    assertThat(cache.contains("task:404")).isFalse();
  }

  @Test
  void a_ttl_that_is_not_positive_or_a_size_below_one_is_rejected() {
    assertThatThrownBy(() -> TaskCache.local(clock, Duration.ZERO, 1))
        .hasMessage("cache ttl must be positive, got PT0S");
    assertThatThrownBy(() -> TaskCache.local(clock, Duration.ofSeconds(1), 0))
        .hasMessage("cache maxEntries must be at least 1, got 0");
  }
}
