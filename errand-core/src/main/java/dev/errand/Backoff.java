package dev.errand;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long a job waits before its next attempt after attempt {@code n} failed.
 *
 * <p>{@link #exponential(Duration)} gives {@code base × 2^(n−1)}: {@code exponential(2s)} waits
 * exactly 2 s, 4 s, 8 s, 16 s … after attempts 1, 2, 3, 4, capped at {@link #DEFAULT_CAP} unless
 * {@link #withCap} says otherwise, and without jitter unless {@link #withJitter} adds it. Immutable
 * and thread-safe.
 */
public final class Backoff {
  /** The cap of {@link #exponential}: no single wait is longer than one hour unless changed. */
  public static final Duration DEFAULT_CAP = Duration.ofHours(1);

  private final Duration base;
  private final boolean doubling;
  private final Duration cap;
  private final double jitter;

  private Backoff(Duration base, boolean doubling, Duration cap, double jitter) {
    this.base = base;
    this.doubling = doubling;
    this.cap = cap;
    this.jitter = jitter;
  }

  /**
   * {@code base × 2^(n−1)}, capped at {@link #DEFAULT_CAP}, no jitter.
   *
   * @throws IllegalArgumentException if {@code base} is not positive
   */
  public static Backoff exponential(Duration base) {
    requirePositive("base", base);
    return new Backoff(base, true, DEFAULT_CAP.compareTo(base) < 0 ? base : DEFAULT_CAP, 0);
  }

  /** The same wait after every attempt. */
  public static Backoff fixed(Duration delay) {
    requirePositive("delay", delay);
    return new Backoff(delay, false, delay, 0);
  }

  /**
   * A copy whose single waits never exceed {@code cap}.
   *
   * @throws IllegalArgumentException if {@code cap} is shorter than the base delay
   */
  public Backoff withCap(Duration cap) {
    requirePositive("cap", cap);
    if (cap.compareTo(base) < 0) {
      throw new IllegalArgumentException(
          "backoff cap " + cap + " is shorter than its base delay " + base + "; raise the cap");
    }
    return new Backoff(base, doubling, cap, jitter);
  }

  /**
   * A copy that spreads each wait uniformly by up to ± {@code fraction} of it, so jobs that failed
   * together do not all come back together.
   *
   * @throws IllegalArgumentException unless {@code 0 <= fraction <= 1}
   */
  public Backoff withJitter(double fraction) {
    if (!(fraction >= 0 && fraction <= 1)) {
      throw new IllegalArgumentException("backoff jitter must be between 0 and 1, got " + fraction);
    }
    return new Backoff(base, doubling, cap, fraction);
  }

  /**
   * The wait after failed attempt {@code attempt} (1 for the first run).
   *
   * @throws IllegalArgumentException if {@code attempt < 1}
   */
  public Duration delay(int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt numbers start at 1, got " + attempt);
    }
    Duration d = base;
    if (doubling) {
      int shifts = Math.min(attempt - 1, 62);
      long millis = base.toMillis();
      d = millis > (cap.toMillis() >> shifts) ? cap : Duration.ofMillis(millis << shifts);
    }
    if (d.compareTo(cap) > 0) {
      d = cap;
    }
    if (jitter > 0) {
      double factor = 1 + ThreadLocalRandom.current().nextDouble(-jitter, jitter);
      d = Duration.ofMillis(Math.max(0, Math.round(d.toMillis() * factor)));
    }
    return d;
  }

  /** The first wait (and every wait of {@link #fixed}). */
  public Duration base() {
    return base;
  }

  /** The longest single wait. */
  public Duration cap() {
    return cap;
  }

  /** The jitter fraction, 0 for none. */
  public double jitter() {
    return jitter;
  }

  @Override
  public String toString() {
    return (doubling ? "exponential(" : "fixed(")
        + base
        + ", cap="
        + cap
        + ", jitter="
        + jitter
        + ")";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Backoff b
        && b.base.equals(base)
        && b.doubling == doubling
        && b.cap.equals(cap)
        && b.jitter == jitter;
  }

  @Override
  public int hashCode() {
    return Objects.hash(base, doubling, cap, jitter);
  }

  static void requirePositive(String what, Duration d) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got " + d);
    }
  }
}
