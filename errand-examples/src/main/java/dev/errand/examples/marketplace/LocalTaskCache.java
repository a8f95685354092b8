package dev.errand.examples.marketplace;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * {@link TaskCache#local}: entries in a {@link ConcurrentHashMap}, and a generation per key that
 * every invalidation bumps. A loaded value is put only if its key's generation is the one seen
 * before loading; the check and the put run inside {@code generations.compute} for that key, which
 * excludes a concurrent invalidation of the same key.
 */
final class LocalTaskCache implements TaskCache {
  private record Entry(Object value, Instant expiresAt) {}

  private final Clock clock;
  private final Duration ttl;
  private final int maxEntries;
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Long> generations = new ConcurrentHashMap<>();

  LocalTaskCache(Clock clock, Duration ttl, int maxEntries) {
    this.clock = Objects.requireNonNull(clock, "clock");
    if (ttl == null || ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("cache ttl must be positive, got " + ttl);
    }
    if (maxEntries < 1) {
      throw new IllegalArgumentException("cache maxEntries must be at least 1, got " + maxEntries);
    }
    this.ttl = ttl;
    this.maxEntries = maxEntries;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> Lookup<T> get(String key, Supplier<T> loader) {
    Entry e = entries.get(key);
    Instant now = clock.instant();
    if (e != null && now.isBefore(e.expiresAt())) {
      return new Lookup<>((T) e.value(), true);
    }
    long seen = generations.getOrDefault(key, 0L);
    T value = loader.get();
    if (value == null) {
      return new Lookup<>(null, false);
    }
    if (entries.size() >= maxEntries) {
      entries.values().removeIf(old -> !now.isBefore(old.expiresAt()));
    }
    generations.compute(
        key,
        (k, g) -> {
          if ((g == null ? 0L : g) == seen
              && (entries.size() < maxEntries || entries.containsKey(k))) {
            entries.put(k, new Entry(value, now.plus(ttl)));
          }
          return g;
        });
    return new Lookup<>(value, false);
  }

  @Override
  public void invalidate(Collection<String> keys) {
    for (String key : keys) {
      generations.merge(key, 1L, Long::sum);
      entries.remove(key);
    }
  }

  @Override
  public boolean contains(String key) {
    Entry e = entries.get(key);
    return e != null && clock.instant().isBefore(e.expiresAt());
  }
}
