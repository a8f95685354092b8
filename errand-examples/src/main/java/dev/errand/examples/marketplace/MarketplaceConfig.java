package dev.errand.examples.marketplace;

import dev.errand.examples.Env;
import dev.errand.examples.ExampleDatabase;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Settings of {@link MarketplaceApp}. Immutable; build with {@link #builder()} or read the
 * environment with {@link #fromEnv(Map)}.
 *
 * @param database where users, tasks, admin logs and Errand's tables live (a SQLite file, {@code
 *     data/marketplace.db}, by default)
 * @param host address the HTTP server binds (127.0.0.1)
 * @param port HTTP port, 0 for any free one (7000)
 * @param users the users created at start if missing: id → role ({@code admin} or {@code member})
 * @param cancelLimit tasks a worker may give back (cancel after accepting) before they may accept
 *     no more, until an admin resets their cancellations (3)
 * @param cacheTtl how long a cached list or task may be served at most (5 min); changes invalidate
 *     sooner
 * @param cacheMaxEntries cached values kept at most (10,000)
 * @param laneThreads threads of the after-response lane (4)
 * @param taskTimeout time limit of one after-response task (10 s)
 * @param sseKeepAlive how often an idle event stream gets a keep-alive comment (15 s)
 * @param sseClientBuffer events that may wait for one slow event stream before it is disconnected
 *     (256)
 * @param wrapNotifications wraps the SSE notifications (identity; tests wrap them to fail or to
 *     record)
 * @param wrapCache wraps the in-process cache (identity; tests wrap it to fail)
 * @param clock the app's clock: task times, {@code lastAlertedAt}, admin log times, cache expiry
 */
public record MarketplaceConfig(
    Supplier<ExampleDatabase> database,
    String host,
    int port,
    Map<String, String> users,
    int cancelLimit,
    Duration cacheTtl,
    int cacheMaxEntries,
    int laneThreads,
    Duration taskTimeout,
    Duration sseKeepAlive,
    int sseClientBuffer,
    UnaryOperator<Notifications> wrapNotifications,
    UnaryOperator<TaskCache> wrapCache,
    Clock clock) {

  /** The database of {@link #fromEnv} when {@code DATABASE_URL} is unset. */
  public static final String DEFAULT_DATABASE = "data/marketplace.db";

  /** The roles a user may have. */
  public static final List<String> ROLES = List.of("admin", "member");

  public MarketplaceConfig {
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0-65535, got " + port);
    }
    users = Map.copyOf(users);
    users.forEach(
        (id, role) -> {
          if (!ROLES.contains(role)) {
            throw new IllegalArgumentException(
                "user " + id + " has role '" + role + "': use " + ROLES);
          }
        });
    atLeast("cancelLimit", cancelLimit, 1);
    atLeast("cacheMaxEntries", cacheMaxEntries, 1);
    atLeast("laneThreads", laneThreads, 1);
    atLeast("sseClientBuffer", sseClientBuffer, 1);
    positive("cacheTtl", cacheTtl);
    positive("taskTimeout", taskTimeout);
    positive("sseKeepAlive", sseKeepAlive);
    Objects.requireNonNull(wrapNotifications, "wrapNotifications");
    Objects.requireNonNull(wrapCache, "wrapCache");
    Objects.requireNonNull(clock, "clock");
  }

  /** Every default: a SQLite file {@value #DEFAULT_DATABASE}, port 7000. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The defaults with the environment's settings: {@code DATABASE_URL} (a SQLite path or a
   * jdbc:postgresql:// URL), {@code HOST}, {@code PORT}, {@code CANCEL_LIMIT}, {@code CACHE_TTL}
   * and {@code TASK_TIMEOUT} (ISO-8601 durations such as {@code PT5M}), {@code
   * AFTER_RESPONSE_THREADS}. Unset ones keep their defaults.
   *
   * @throws IllegalArgumentException naming the variable whose value is not valid
   */
  public static MarketplaceConfig fromEnv(Map<String, String> vars) {
    Builder b = builder();
    Env.of(vars)
        .read("DATABASE_URL", v -> b.database(() -> ExampleDatabase.fromSetting(v)))
        .read("HOST", b::host)
        .read("PORT", v -> b.port(Integer.parseInt(v)))
        .read("CANCEL_LIMIT", v -> b.cancelLimit(Integer.parseInt(v)))
        .read("CACHE_TTL", v -> b.cacheTtl(Duration.parse(v)))
        .read("TASK_TIMEOUT", v -> b.taskTimeout(Duration.parse(v)))
        .read("AFTER_RESPONSE_THREADS", v -> b.laneThreads(Integer.parseInt(v)));
    return b.build();
  }

  private static void atLeast(String name, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(name + " must be at least " + min + ", got " + value);
    }
  }

  private static void positive(String name, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be a positive duration, got " + d);
    }
  }

  /**
   * Builds a {@link MarketplaceConfig}; each setter sets the record component of its name, defaults
   * as listed there, and {@link #build()} validates them all.
   */
  public static final class Builder {
    private Supplier<ExampleDatabase> database =
        () -> ExampleDatabase.fromSetting(DEFAULT_DATABASE);
    private String host = "127.0.0.1";
    private int port = 7000;
    private Map<String, String> users =
        Map.of("ada", "admin", "pia", "member", "wes", "member", "kim", "member");
    private int cancelLimit = 3;
    private Duration cacheTtl = Duration.ofMinutes(5);
    private int cacheMaxEntries = 10_000;
    private int laneThreads = 4;
    private Duration taskTimeout = Duration.ofSeconds(10);
    private Duration sseKeepAlive = Duration.ofSeconds(15);
    private int sseClientBuffer = 256;
    private UnaryOperator<Notifications> wrapNotifications = n -> n;
    private UnaryOperator<TaskCache> wrapCache = c -> c;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    public Builder database(Supplier<ExampleDatabase> database) {
      this.database = database;
      return this;
    }

    public Builder host(String host) {
      this.host = host;
      return this;
    }

    public Builder port(int port) {
      this.port = port;
      return this;
    }

    public Builder users(Map<String, String> users) {
      this.users = users;
      return this;
    }

    public Builder cancelLimit(int limit) {
      this.cancelLimit = limit;
      return this;
    }

    public Builder cacheTtl(Duration ttl) {
      this.cacheTtl = ttl;
      return this;
    }

    public Builder cacheMaxEntries(int max) {
      this.cacheMaxEntries = max;
      return this;
    }

    public Builder laneThreads(int threads) {
      this.laneThreads = threads;
      return this;
    }

    public Builder taskTimeout(Duration timeout) {
      this.taskTimeout = timeout;
      return this;
    }

    public Builder sseKeepAlive(Duration keepAlive) {
      this.sseKeepAlive = keepAlive;
      return this;
    }

    public Builder sseClientBuffer(int events) {
      this.sseClientBuffer = events;
      return this;
    }

    public Builder wrapNotifications(UnaryOperator<Notifications> wrap) {
      this.wrapNotifications = wrap;
      return this;
    }

    public Builder wrapCache(UnaryOperator<TaskCache> wrap) {
      this.wrapCache = wrap;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    public MarketplaceConfig build() {
      return new MarketplaceConfig(
          database,
          host,
          port,
          users,
          cancelLimit,
          cacheTtl,
          cacheMaxEntries,
          laneThreads,
          taskTimeout,
          sseKeepAlive,
          sseClientBuffer,
          wrapNotifications,
          wrapCache,
          clock);
    }
  }
}
