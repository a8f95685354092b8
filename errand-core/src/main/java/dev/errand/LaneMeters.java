package dev.errand;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Collection;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The after-response lane's meters, registered once so the hot path does no lookups: {@code
 * errand.after.tasks} (counter by outcome, and by label with {@code labelTags}), {@code
 * errand.after.retries}, {@code errand.after.saturated} (by policy), {@code errand.after.duration}
 * (timer by outcome), and the gauges {@code errand.after.queued} (requests waiting) and {@code
 * errand.after.abandoned} (threads of timed-out tasks still running).
 */
final class LaneMeters {
  /** The final outcome of one task. */
  enum Outcome {
    SUCCEEDED,
    FAILED,
    TIMED_OUT,
    REJECTED,
    DISCARDED,
    DROPPED;

    String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Map<Outcome, Counter> tasks = new EnumMap<>(Outcome.class);
  private final boolean byLabel;
  private final MeterRegistry registry;
  private final Map<String, Counter> labelled = new ConcurrentHashMap<>();
  private final Map<Outcome, Timer> durations = new EnumMap<>(Outcome.class);
  private final Map<Saturation, Counter> saturated = new EnumMap<>(Saturation.class);
  private final Counter retries;

  /**
   * Micrometer holds a gauge's state object weakly, so the gauges read objects the lane holds
   * ({@code queued}, {@code abandoned}); a gauge over a lambda or method reference that nothing
   * else holds reads NaN after the next garbage collection.
   */
  LaneMeters(
      MeterRegistry registry, Collection<?> queued, AtomicInteger abandoned, boolean byLabel) {
    this.registry = registry;
    this.byLabel = byLabel;
    // with labels, every errand.after.tasks counter has both tags (registries refuse one name
    // with two sets of tag keys), so they are made on first use
    for (Outcome o : byLabel ? new Outcome[0] : Outcome.values()) {
      tasks.put(
          o,
          Counter.builder("errand.after.tasks")
              .tag("outcome", o.tag())
              .description("after-response tasks by final outcome")
              .register(registry));
    }
    for (Outcome o : new Outcome[] {Outcome.SUCCEEDED, Outcome.FAILED, Outcome.TIMED_OUT}) {
      durations.put(
          o,
          Timer.builder("errand.after.duration")
              .tag("outcome", o.tag())
              .description("one attempt of an after-response task")
              .register(registry));
    }
    for (Saturation s : Saturation.values()) {
      saturated.put(
          s,
          Counter.builder("errand.after.saturated")
              .tag("policy", s.name().toLowerCase(Locale.ROOT))
              .description("times a request's tasks found the lane's queue full")
              .register(registry));
    }
    retries =
        Counter.builder("errand.after.retries")
            .description("attempts scheduled again")
            .register(registry);
    Gauge.builder("errand.after.queued", queued, Collection::size)
        .description("requests whose tasks wait for a lane thread")
        .register(registry);
    Gauge.builder("errand.after.abandoned", abandoned, AtomicInteger::get)
        .description("threads of timed-out tasks that have not returned yet")
        .register(registry);
  }

  /** Counts one task's final outcome. */
  void outcome(Outcome o, String label) {
    if (!byLabel) {
      tasks.get(o).increment();
      return;
    }
    labelled
        .computeIfAbsent(
            o.tag() + '\0' + label,
            k ->
                Counter.builder("errand.after.tasks")
                    .tag("outcome", o.tag())
                    .tag("label", label)
                    .description("after-response tasks by final outcome and label")
                    .register(registry))
        .increment();
  }

  void attempt(Outcome o, long nanos) {
    durations.get(o).record(nanos, TimeUnit.NANOSECONDS);
  }

  void saturated(Saturation policy) {
    saturated.get(policy).increment();
  }

  void retried() {
    retries.increment();
  }
}
