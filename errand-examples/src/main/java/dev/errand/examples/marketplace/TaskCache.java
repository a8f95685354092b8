package dev.errand.examples.marketplace;

import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.function.Supplier;

/**
 * The marketplace's in-process cache of task lists, task details and admin dashboards, keyed by
 * strings such as {@code task:42}, {@code tasks:open}, {@code tasks:user:pia} and {@code
 * admin:stats}. Never authoritative: a miss loads from the database, and every change invalidates
 * the keys it touched after its response (an after-response task). Permissions are never read from
 * it.
 *
 * <p>Implementations are thread-safe: requests read it, lane threads invalidate it.
 */
public interface TaskCache {
  /** A value and whether it came from the cache ({@code X-Cache: hit}) or was loaded. */
  record Lookup<T>(T value, boolean hit) {}

  /**
   * The cached value of {@code key}, or the value {@code loader} loads now (cached unless {@code
   * key} was invalidated while it loaded, so a slow reader never puts back what a change just
   * invalidated). A null value is returned and never cached, so probing ids that do not exist
   * cannot fill the cache.
   */
  <T> Lookup<T> get(String key, Supplier<T> loader);

  /** Drops {@code keys}; a load of one of them that is still running will not be cached. */
  void invalidate(Collection<String> keys);

  /** True if {@code key} holds a value that has not expired (for tests and diagnostics). */
  boolean contains(String key);

  /**
   * A cache in this process's memory: entries live {@code ttl} by {@code clock} (a bound on
   * staleness should an invalidation be lost with its process) and at most {@code maxEntries} are
   * kept; when full, expired entries are dropped first, and beyond that loaded values are served
   * without being cached.
   *
   * @throws IllegalArgumentException for a ttl that is not positive or maxEntries below 1
   */
  static TaskCache local(Clock clock, Duration ttl, int maxEntries) {
    return new LocalTaskCache(clock, ttl, maxEntries);
  }
}
