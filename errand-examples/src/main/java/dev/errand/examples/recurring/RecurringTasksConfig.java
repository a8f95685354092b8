package dev.errand.examples.recurring;

import dev.errand.examples.Env;
import dev.errand.examples.ExampleDatabase;
import java.time.Clock;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Settings of {@link RecurringTasksApp}, with 003's defaults and environment variables. Immutable;
 * build with {@link #builder()} or read with {@link #fromEnv(Map)}.
 *
 * @param database where tasks and jobs live (a SQLite file by default)
 * @param host address the HTTP server binds (127.0.0.1)
 * @param port HTTP port, 0 for any free one
 * @param internalApiKey the internal API key, or null: then the internal API answers loopback only
 * @param retryAttempts attempts of a worker trigger in all (3: the first and 2 retries)
 * @param retryDelay backoff before the first retry, doubling after (500 ms)
 * @param timeout of one internal API call (10 s)
 * @param dailyMaintenance wall-clock time of the daily maintenance (02:00)
 * @param weeklyMaintenanceDay day of the weekly maintenance (SUNDAY)
 * @param weeklyMaintenance wall-clock time of the weekly maintenance (03:00)
 * @param maintenanceZone zone of the maintenance times (UTC)
 * @param defaultTimeZone zone of tasks that name none (UTC)
 * @param clock the clock of validation and task times (due dates, completion); Errand keeps its own
 * @param internalBaseUrl where triggers send requests, or null for this app's own server
 */
public record RecurringTasksConfig(
    Supplier<ExampleDatabase> database,
    String host,
    int port,
    String internalApiKey,
    int retryAttempts,
    Duration retryDelay,
    Duration timeout,
    LocalTime dailyMaintenance,
    DayOfWeek weeklyMaintenanceDay,
    LocalTime weeklyMaintenance,
    ZoneId maintenanceZone,
    ZoneId defaultTimeZone,
    Clock clock,
    String internalBaseUrl) {

  public static final String DEFAULT_DATABASE = "data/recurring-tasks.db";

  public RecurringTasksConfig {
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0-65535, got " + port);
    }
    if (internalApiKey != null && internalApiKey.isBlank()) {
      throw new IllegalArgumentException(
          "internal API key must not be blank; leave it unset for" + " loopback-only access");
    }
    if (retryAttempts < 1 || retryAttempts > 20) {
      throw new IllegalArgumentException("retry attempts must be 1-20, got " + retryAttempts);
    }
    positive("retry delay", retryDelay);
    positive("timeout", timeout);
    Objects.requireNonNull(dailyMaintenance, "dailyMaintenance");
    Objects.requireNonNull(weeklyMaintenanceDay, "weeklyMaintenanceDay");
    Objects.requireNonNull(weeklyMaintenance, "weeklyMaintenance");
    Objects.requireNonNull(maintenanceZone, "maintenanceZone");
    Objects.requireNonNull(defaultTimeZone, "defaultTimeZone");
    Objects.requireNonNull(clock, "clock");
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these settings. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.database = database;
    b.host = host;
    b.port = port;
    b.internalApiKey = internalApiKey;
    b.retryAttempts = retryAttempts;
    b.retryDelay = retryDelay;
    b.timeout = timeout;
    b.dailyMaintenance = dailyMaintenance;
    b.weeklyMaintenanceDay = weeklyMaintenanceDay;
    b.weeklyMaintenance = weeklyMaintenance;
    b.maintenanceZone = maintenanceZone;
    b.defaultTimeZone = defaultTimeZone;
    b.clock = clock;
    b.internalBaseUrl = internalBaseUrl;
    return b;
  }

  /**
   * 003's environment variables: {@code INTERNAL_API_KEY}, {@code WORKER_RETRY_ATTEMPTS}, {@code
   * WORKER_RETRY_DELAY} and {@code WORKER_TIMEOUT} (milliseconds), {@code DAILY_MAINTENANCE_TIME},
   * {@code WEEKLY_MAINTENANCE_DAY}, {@code WEEKLY_MAINTENANCE_TIME}; and this app's own: {@code
   * DATABASE_URL} (a SQLite path or a jdbc:postgresql:// URL), {@code PORT} (3000), {@code HOST},
   * {@code MAINTENANCE_TIME_ZONE}, {@code DEFAULT_TIME_ZONE}. Unset ones keep their defaults.
   *
   * @throws IllegalArgumentException naming the variable whose value is not valid
   */
  public static RecurringTasksConfig fromEnv(Map<String, String> env) {
    Builder b = builder().port(3000);
    Env vars = Env.of(env);
    String db = env.get("DATABASE_URL");
    if (db != null) {
      b.database(() -> ExampleDatabase.fromSetting(db));
    }
    b.host(env.getOrDefault("HOST", b.host));
    vars.read("PORT", v -> b.port(Integer.parseInt(v)));
    b.internalApiKey(env.get("INTERNAL_API_KEY"));
    vars.read("WORKER_RETRY_ATTEMPTS", v -> b.retryAttempts(Integer.parseInt(v)));
    vars.read("WORKER_RETRY_DELAY", v -> b.retryDelay(Duration.ofMillis(Long.parseLong(v))));
    vars.read("WORKER_TIMEOUT", v -> b.timeout(Duration.ofMillis(Long.parseLong(v))));
    vars.read("DAILY_MAINTENANCE_TIME", v -> b.dailyMaintenance(LocalTime.parse(v)));
    vars.read(
        "WEEKLY_MAINTENANCE_DAY",
        v ->
            b.weeklyMaintenance(
                DayOfWeek.valueOf(v.trim().toUpperCase(Locale.ROOT)), b.weeklyMaintenance));
    vars.read(
        "WEEKLY_MAINTENANCE_TIME",
        v -> b.weeklyMaintenance(b.weeklyMaintenanceDay, LocalTime.parse(v)));
    vars.read("MAINTENANCE_TIME_ZONE", v -> b.maintenanceZone(ZoneId.of(v)));
    vars.read("DEFAULT_TIME_ZONE", v -> b.defaultTimeZone(ZoneId.of(v)));
    return b.build();
  }

  private static void positive(String what, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got " + d);
    }
  }

  /** Builds a {@link RecurringTasksConfig}; defaults as listed there. */
  public static final class Builder {
    private Supplier<ExampleDatabase> database =
        () -> ExampleDatabase.fromSetting(DEFAULT_DATABASE);
    private String host = "127.0.0.1";
    private int port;
    private String internalApiKey;
    private int retryAttempts = 3;
    private Duration retryDelay = Duration.ofMillis(500);
    private Duration timeout = Duration.ofSeconds(10);
    private LocalTime dailyMaintenance = LocalTime.of(2, 0);
    private DayOfWeek weeklyMaintenanceDay = DayOfWeek.SUNDAY;
    private LocalTime weeklyMaintenance = LocalTime.of(3, 0);
    private ZoneId maintenanceZone = ZoneId.of("UTC");
    private ZoneId defaultTimeZone = ZoneId.of("UTC");
    private Clock clock = Clock.systemUTC();
    private String internalBaseUrl;

    private Builder() {}

    /** The database, opened when the app starts. */
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

    public Builder internalApiKey(String key) {
      this.internalApiKey = key;
      return this;
    }

    public Builder retryAttempts(int attempts) {
      this.retryAttempts = attempts;
      return this;
    }

    public Builder retryDelay(Duration delay) {
      this.retryDelay = delay;
      return this;
    }

    public Builder timeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    public Builder dailyMaintenance(LocalTime time) {
      this.dailyMaintenance = time;
      return this;
    }

    public Builder weeklyMaintenance(DayOfWeek day, LocalTime time) {
      this.weeklyMaintenanceDay = day;
      this.weeklyMaintenance = time;
      return this;
    }

    public Builder maintenanceZone(ZoneId zone) {
      this.maintenanceZone = zone;
      return this;
    }

    public Builder defaultTimeZone(ZoneId zone) {
      this.defaultTimeZone = zone;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /** Where triggers send their requests (e.g. another instance); null for this app itself. */
    public Builder internalBaseUrl(String url) {
      this.internalBaseUrl = url;
      return this;
    }

    public RecurringTasksConfig build() {
      return new RecurringTasksConfig(
          database,
          host,
          port,
          internalApiKey,
          retryAttempts,
          retryDelay,
          timeout,
          dailyMaintenance,
          weeklyMaintenanceDay,
          weeklyMaintenance,
          maintenanceZone,
          defaultTimeZone,
          clock,
          internalBaseUrl);
    }
  }
}
