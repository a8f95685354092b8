package dev.errand.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class RetryAfterHeaderTest {
  private final Clock clock = Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC);

  @Test
  void delay_seconds_are_read_as_seconds() {
    assertThat(RetryAfterHeader.parse("120", clock)).contains(Duration.ofSeconds(120));
    assertThat(RetryAfterHeader.parse(" 0 ", clock)).contains(Duration.ZERO);
  }

  @Test
  void an_http_date_is_the_time_until_that_date() {
    assertThat(RetryAfterHeader.parse("Tue, 01 Dec 2026 10:05:30 GMT", clock))
        .contains(Duration.ofSeconds(330));
  }

  @Test
  void an_http_date_in_the_past_means_at_once() {
    assertThat(RetryAfterHeader.parse("Tue, 01 Dec 2026 09:00:00 GMT", clock))
        .contains(Duration.ZERO);
  }

  @Test
  void an_absurdly_large_number_is_kept_as_a_huge_delay_for_the_caller_to_cap() {
    assertThat(RetryAfterHeader.parse("99999999999999999999", clock))
        .contains(Duration.ofSeconds(Long.MAX_VALUE));
    assertThat(RetryAfterHeader.parse("9999999999999999999", clock))
        .contains(Duration.ofSeconds(Long.MAX_VALUE));
  }

  @Test
  void values_that_are_neither_seconds_nor_a_date_are_ignored() {
    assertThat(RetryAfterHeader.parse("soon", clock)).isEmpty();
    assertThat(RetryAfterHeader.parse("-5", clock)).isEmpty();
    assertThat(RetryAfterHeader.parse("1.5", clock)).isEmpty();
    assertThat(RetryAfterHeader.parse(null, clock)).isEmpty();
  }
}
