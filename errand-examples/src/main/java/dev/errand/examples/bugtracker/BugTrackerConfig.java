package dev.errand.examples.bugtracker;

import dev.errand.examples.ExampleDatabase;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Settings of {@link BugTrackerApp}. Immutable; build with {@link #builder(Path)}.
 *
 * @param database where bugs, media records, metrics and jobs live (a SQLite file in the data
 *     directory by default)
 * @param dataDir the data directory: {@code media/} holds uploaded files, {@code tmp/} temporary
 *     ones
 * @param host address the HTTP server binds (127.0.0.1)
 * @param port HTTP port, 0 for any free one
 * @param users the team, created at start if missing: id → role ({@code admin}, {@code lead},
 *     {@code tester})
 * @param channels the notification channels, made from the database and clock (the inbox by
 *     default)
 * @param storage the media storage, made from the media directory (local files by default)
 * @param notificationAttempts attempts of a notification job (6)
 * @param backoff first retry delay of notification and storage jobs, doubling after (2 s)
 * @param lowTrafficTime when maintenance and the media sweep run each day (03:00)
 * @param zone the zone of {@link #lowTrafficTime} and of metric periods (UTC)
 * @param cacheTtl how long a cached summary may be served (10 min)
 * @param cacheWarmInterval how often summaries are precomputed besides the triggers (5 min)
 * @param tempFileMaxAge temporary files older than this are removed by maintenance (1 day)
 * @param auditTtl audit log entries older than this are removed by maintenance (90 days)
 * @param clock the clock of the application (metric periods, cache expiry, temp file age, alerts)
 */
public record BugTrackerConfig(
    Supplier<ExampleDatabase> database,
    Path dataDir,
    String host,
    int port,
    Map<String, String> users,
    Function<ExampleDatabase, List<NotificationChannel>> channels,
    Function<Path, MediaStorage> storage,
    int notificationAttempts,
    Duration backoff,
    LocalTime lowTrafficTime,
    ZoneId zone,
    Duration cacheTtl,
    Duration cacheWarmInterval,
    Duration tempFileMaxAge,
    Duration auditTtl,
    Clock clock) {

  public BugTrackerConfig {
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(dataDir, "dataDir");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0-65535, got " + port);
    }
    users = Map.copyOf(users);
    users.forEach(
        (id, role) -> {
          if (!BugTrackerApp.ROLES.contains(role)) {
            throw new IllegalArgumentException(
                "user " + id + " has role '" + role + "': use " + BugTrackerApp.ROLES);
          }
        });
    if (notificationAttempts < 1) {
      throw new IllegalArgumentException(
          "notification attempts must be at least 1, got " + notificationAttempts);
    }
    Objects.requireNonNull(backoff, "backoff");
    Objects.requireNonNull(lowTrafficTime, "lowTrafficTime");
    Objects.requireNonNull(zone, "zone");
    Objects.requireNonNull(clock, "clock");
    for (Duration d : List.of(backoff, cacheTtl, cacheWarmInterval, tempFileMaxAge, auditTtl)) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("durations must be positive, got " + d);
      }
    }
  }

  /** Defaults, with {@code dataDir} holding the database, media and temporary files. */
  public static Builder builder(Path dataDir) {
    return new Builder(dataDir);
  }

  /** Builds a {@link BugTrackerConfig}. */
  public static final class Builder {
    private final Path dataDir;
    private Supplier<ExampleDatabase> database;
    private String host = "127.0.0.1";
    private int port;
    private Map<String, String> users =
        Map.of("ada", "admin", "lin", "lead", "tom", "tester", "eve", "tester");
    private Function<ExampleDatabase, List<NotificationChannel>> channels;
    private Function<Path, MediaStorage> storage;
    private int notificationAttempts = 6;
    private Duration backoff = Duration.ofSeconds(2);
    private LocalTime lowTrafficTime = LocalTime.of(3, 0);
    private ZoneId zone = ZoneId.of("UTC");
    private Duration cacheTtl = Duration.ofMinutes(10);
    private Duration cacheWarmInterval = Duration.ofMinutes(5);
    private Duration tempFileMaxAge = Duration.ofDays(1);
    private Duration auditTtl = Duration.ofDays(90);
    private Clock clock = Clock.systemUTC();

    private Builder(Path dataDir) {
      this.dataDir = dataDir;
      this.database = () -> ExampleDatabase.sqlite(dataDir.resolve("bugtracker.db"));
    }

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

    public Builder channels(Function<ExampleDatabase, List<NotificationChannel>> channels) {
      this.channels = channels;
      return this;
    }

    public Builder storage(Function<Path, MediaStorage> storage) {
      this.storage = storage;
      return this;
    }

    public Builder notificationAttempts(int attempts) {
      this.notificationAttempts = attempts;
      return this;
    }

    public Builder backoff(Duration backoff) {
      this.backoff = backoff;
      return this;
    }

    public Builder lowTraffic(LocalTime time, ZoneId zone) {
      this.lowTrafficTime = time;
      this.zone = zone;
      return this;
    }

    public Builder cacheTtl(Duration ttl) {
      this.cacheTtl = ttl;
      return this;
    }

    public Builder cacheWarmInterval(Duration interval) {
      this.cacheWarmInterval = interval;
      return this;
    }

    public Builder auditTtl(Duration ttl) {
      this.auditTtl = ttl;
      return this;
    }

    public Builder tempFileMaxAge(Duration age) {
      this.tempFileMaxAge = age;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    public BugTrackerConfig build() {
      Clock c = clock;
      Function<ExampleDatabase, List<NotificationChannel>> ch =
          channels != null ? channels : db -> List.of(new InboxChannel(db, c));
      Function<Path, MediaStorage> st =
          storage != null
              ? storage
              : dir -> {
                try {
                  return new LocalMediaStorage(dir);
                } catch (java.io.IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              };
      return new BugTrackerConfig(
          database,
          dataDir,
          host,
          port,
          users,
          ch,
          st,
          notificationAttempts,
          backoff,
          lowTrafficTime,
          zone,
          cacheTtl,
          cacheWarmInterval,
          tempFileMaxAge,
          auditTtl,
          clock);
    }
  }
}
