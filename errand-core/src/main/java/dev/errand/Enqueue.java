package dev.errand;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/**
 * Per-enqueue options: when to run, a unique key, tags, and overrides of the type's queue, priority
 * and max attempts. Immutable; each method returns a changed copy.
 *
 * <pre>{@code
 * errand.enqueue(sendEmail, email, Enqueue.after(Duration.ofSeconds(5)).uniqueKey("welcome:" + id));
 * }</pre>
 */
public final class Enqueue {
  private static final Enqueue NOW = new Enqueue(null, null, null, Set.of(), null, null, null);

  private final Duration delay;
  private final Instant at;
  private final String uniqueKey;
  private final Set<String> tags;
  private final String queue;
  private final Integer priority;
  private final Integer maxAttempts;

  private Enqueue(
      Duration delay,
      Instant at,
      String uniqueKey,
      Set<String> tags,
      String queue,
      Integer priority,
      Integer maxAttempts) {
    this.delay = delay;
    this.at = at;
    this.uniqueKey = uniqueKey;
    this.tags = tags;
    this.queue = queue;
    this.priority = priority;
    this.maxAttempts = maxAttempts;
  }

  /** Run as soon as a worker is free. */
  public static Enqueue now() {
    return NOW;
  }

  /**
   * Run once {@code delay} has passed.
   *
   * @throws IllegalArgumentException if {@code delay} is negative
   */
  public static Enqueue after(Duration delay) {
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException(
          "Enqueue.after("
              + delay
              + "): the delay must be zero or positive; use Enqueue.now() to run"
              + " at once");
    }
    return new Enqueue(delay, null, null, Set.of(), null, null, null);
  }

  /** Run at {@code instant} (at once if it has passed). */
  public static Enqueue at(Instant instant) {
    Objects.requireNonNull(instant, "instant");
    return new Enqueue(null, instant, null, Set.of(), null, null, null);
  }

  /**
   * While a job with this key is not final (SCHEDULED, QUEUED, RUNNING, RETRYING), enqueueing
   * another with the same key returns that job instead of creating a second one.
   *
   * @throws IllegalArgumentException if blank, longer than 255 characters or containing NUL
   */
  public Enqueue uniqueKey(String key) {
    if (key == null || key.isBlank() || key.length() > 255) {
      throw new IllegalArgumentException(
          "unique key must be 1-255 non-blank characters, got '" + key + "'");
    }
    if (key.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          "unique key must not contain the NUL character (U+0000),"
              + " which databases cannot store in text; got '"
              + key.replace('\0', '?')
              + "'");
    }
    return new Enqueue(delay, at, key, tags, queue, priority, maxAttempts);
  }

  /**
   * Adds labels, each 1–100 characters without commas, for filtering and display.
   *
   * @throws IllegalArgumentException for a blank, over-long, comma- or NUL-containing tag
   */
  public Enqueue tags(String... tags) {
    Set<String> all = new LinkedHashSet<>(this.tags);
    for (String t : tags) {
      if (t == null || t.isBlank() || t.length() > 100 || t.indexOf(',') >= 0) {
        throw new IllegalArgumentException(
            "tag '" + t + "' is not valid: use 1-100 characters without commas");
      }
      if (t.indexOf('\0') >= 0) {
        throw new IllegalArgumentException(
            "tag '"
                + t.replace('\0', '?')
                + "' is not valid: it"
                + " contains the NUL character (U+0000), which databases cannot store in text");
      }
      all.add(t);
    }
    return new Enqueue(delay, at, uniqueKey, Set.copyOf(all), queue, priority, maxAttempts);
  }

  /** Runs this job on {@code queue} instead of the type's queue. */
  public Enqueue queue(String queue) {
    JobType.requireName("queue name", queue);
    return new Enqueue(delay, at, uniqueKey, tags, queue, priority, maxAttempts);
  }

  /** Overrides the type's priority; higher runs first. */
  public Enqueue priority(int priority) {
    return new Enqueue(delay, at, uniqueKey, tags, queue, priority, maxAttempts);
  }

  /**
   * Overrides the type's max attempts.
   *
   * @throws IllegalArgumentException if below 1
   */
  public Enqueue maxAttempts(int maxAttempts) {
    JobType.requireMaxAttempts(maxAttempts);
    return new Enqueue(delay, at, uniqueKey, tags, queue, priority, maxAttempts);
  }

  /** When to run, given the current time. */
  public Instant runAt(Instant now) {
    if (at != null) {
      return at;
    }
    return delay == null ? now : now.plus(delay);
  }

  /** The unique key, or null. */
  public String uniqueKey() {
    return uniqueKey;
  }

  public Set<String> tags() {
    return tags;
  }

  /** The queue override, or null. */
  public String queue() {
    return queue;
  }

  /** The priority override, or null. */
  public Integer priority() {
    return priority;
  }

  /** The max attempts override, or null. */
  public Integer maxAttempts() {
    return maxAttempts;
  }

  @Override
  public String toString() {
    return "Enqueue[delay="
        + delay
        + ", at="
        + at
        + ", uniqueKey="
        + uniqueKey
        + ", tags="
        + tags
        + ", queue="
        + queue
        + ", priority="
        + priority
        + ", maxAttempts="
        + maxAttempts
        + "]";
  }
}
