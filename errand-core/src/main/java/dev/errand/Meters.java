package dev.errand;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Errand's Micrometer meters, cached per (name, type, queue) so the hot path does no registry
 * lookups. Names: {@code errand.jobs.enqueued|started|succeeded|failed|retried|dead|snoozed|
 * released|rescued} (counters), {@code errand.jobs.duration} and {@code errand.jobs.latency}
 * (timers), {@code errand.jobs.depth} (gauge by queue and state), {@code errand.lease.rejected} and
 * {@code errand.lease.lost} (counters), {@code errand.outcomes.unwritten} (outcomes the store kept
 * refusing, counter), {@code errand.store.errors} (counter by operation).
 */
final class Meters {
  private final MeterRegistry registry;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> depth = new ConcurrentHashMap<>();

  Meters(MeterRegistry registry) {
    this.registry = registry;
  }

  MeterRegistry registry() {
    return registry;
  }

  void count(String name, String type, String queue, long n) {
    if (n <= 0) {
      return;
    }
    counters
        .computeIfAbsent(
            name + '\0' + type + '\0' + queue,
            k ->
                Counter.builder("errand.jobs." + name)
                    .tag("type", type)
                    .tag("queue", queue)
                    .register(registry))
        .increment(n);
  }

  void count(String name) {
    count(name, 1);
  }

  void count(String name, long n) {
    if (n > 0) {
      counters.computeIfAbsent(name, k -> Counter.builder(name).register(registry)).increment(n);
    }
  }

  void storeError(String operation) {
    counters
        .computeIfAbsent(
            "store.errors\0" + operation,
            k ->
                Counter.builder("errand.store.errors")
                    .tag("operation", operation)
                    .register(registry))
        .increment();
  }

  void duration(String type, String queue, String outcome, long nanos) {
    timers
        .computeIfAbsent(
            "d\0" + type + '\0' + queue + '\0' + outcome,
            k ->
                Timer.builder("errand.jobs.duration")
                    .tag("type", type)
                    .tag("queue", queue)
                    .tag("outcome", outcome)
                    .register(registry))
        .record(Duration.ofNanos(nanos));
  }

  void latency(String type, String queue, Duration d) {
    timers
        .computeIfAbsent(
            "l\0" + type + '\0' + queue,
            k ->
                Timer.builder("errand.jobs.latency")
                    .description("from due to started")
                    .tag("type", type)
                    .tag("queue", queue)
                    .register(registry))
        .record(d.isNegative() ? Duration.ZERO : d);
  }

  /** Sets every (queue, state) depth gauge; pairs missing from {@code counts} go to zero. */
  void depth(JobCounts counts, Iterable<String> knownQueues) {
    Map<String, Long> fresh = new java.util.HashMap<>();
    for (String q : knownQueues) {
      for (JobState s : JobState.values()) {
        if (!s.isFinal()) {
          fresh.put(q + '\0' + s.name(), 0L);
        }
      }
    }
    for (JobCounts.Row r : counts.rows()) {
      fresh.merge(r.queue() + '\0' + r.state().name(), r.count(), Long::sum);
    }
    depth.keySet().forEach(k -> fresh.putIfAbsent(k, 0L));
    fresh.forEach((k, v) -> depth.computeIfAbsent(k, this::registerDepth).set(v));
  }

  private AtomicLong registerDepth(String key) {
    String[] parts = key.split("\0", 2);
    AtomicLong value = new AtomicLong();
    Gauge.builder("errand.jobs.depth", value, AtomicLong::get)
        .tag("queue", parts[0])
        .tag("state", parts[1].toLowerCase(java.util.Locale.ROOT))
        .register(registry);
    return value;
  }
}
