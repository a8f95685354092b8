package dev.errand.server.http;

import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.regex.Pattern;

/** Reads an HTTP {@code Retry-After} value (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. */
final class RetryAfterHeader {
  private static final Pattern SECONDS = Pattern.compile("\\d+");

  private RetryAfterHeader() {}

  /**
   * The delay {@code value} asks for as seen at {@code clock}'s now: a date in the past means at
   * once. Empty if the value is neither a whole number of seconds nor an HTTP-date (RFC 1123 form),
   * so the caller falls back to its backoff.
   */
  static Optional<Duration> parse(String value, Clock clock) {
    if (value == null) {
      return Optional.empty();
    }
    String v = value.trim();
    if (SECONDS.matcher(v).matches()) {
      try {
        return Optional.of(Duration.ofSeconds(Long.parseLong(v)));
      } catch (NumberFormatException e) {
        return Optional.of(Duration.ofSeconds(Long.MAX_VALUE));
      }
    }
    try {
      ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
      Duration d = Duration.between(clock.instant(), at.toInstant());
      return Optional.of(d.isNegative() ? Duration.ZERO : d);
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
