package dev.errand.examples.bugtracker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-process cache of precomputed dashboard summaries. Never authoritative: every entry carries
 * the data version it was computed from, and {@link #get} returns it only while that is still the
 * database's version (and the entry has not expired); otherwise the caller reads the database.
 * Thread-safe.
 */
public final class DashboardCache {
  private record Entry(Object value, long version, Instant expiresAt) {}

  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final Clock clock;
  private final Duration ttl;

  public DashboardCache(Clock clock, Duration ttl) {
    this.clock = clock;
    this.ttl = ttl;
  }

  /** The value of {@code key} if it was computed from {@code currentVersion} and is not expired. */
  public Optional<Object> get(String key, long currentVersion) {
    Entry e = entries.get(key);
    if (e == null || e.version != currentVersion || !e.expiresAt.isAfter(clock.instant())) {
      return Optional.empty();
    }
    return Optional.of(e.value);
  }

  /** Stores {@code value}, computed from data version {@code version}, for the TTL. */
  public void put(String key, Object value, long version) {
    entries.merge(
        key,
        new Entry(value, version, clock.instant().plus(ttl)),
        (old, fresh) -> old.version > fresh.version ? old : fresh);
  }

  /** Removes expired entries; returns how many. */
  public int evictExpired() {
    Instant now = clock.instant();
    int[] removed = {0};
    entries
        .entrySet()
        .removeIf(
            e -> {
              boolean expired = !e.getValue().expiresAt.isAfter(now);
              removed[0] += expired ? 1 : 0;
              return expired;
            });
    return removed[0];
  }

  public int size() {
    return entries.size();
  }
}
