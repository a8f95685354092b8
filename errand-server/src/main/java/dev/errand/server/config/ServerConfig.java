package dev.errand.server.config;

import static dev.errand.server.config.ServerSetting.*;

import dev.errand.Backoff;
import dev.errand.Errand;
import dev.errand.Schedule;
import dev.errand.server.alert.WebhookAlertSink;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The Errand server's configuration: every {@link ServerSetting} read from the command line, the
 * environment and an optional {@code .properties} file (in that order of precedence, over the
 * defaults), validated as a whole. Immutable; secrets never appear in {@link #describe()} or in
 * error messages.
 */
public final class ServerConfig {
  /** Where jobs are stored. */
  public enum StoreKind {
    SQLITE,
    POSTGRES
  }

  /** API key scopes. */
  public enum Scope {
    READ,
    ENQUEUE,
    ADMIN
  }

  /** Log output formats. */
  public enum LogFormat {
    TEXT,
    JSON
  }

  /**
   * The store.
   *
   * @param url the JDBC URL
   * @param kind SQLite or PostgreSQL
   * @param sqliteFile for SQLite, the database file; else null
   * @param user PostgreSQL user or null
   * @param password PostgreSQL password or null (never in {@link #toString()})
   * @param poolSize PostgreSQL pool size, or SQLite read connections
   */
  public record Store(
      String url, StoreKind kind, Path sqliteFile, String user, String password, int poolSize) {
    @Override
    public String toString() {
      return "Store["
          + kind
          + " "
          + url
          + ", user="
          + user
          + ", password="
          + (password == null ? "none" : "***")
          + ", poolSize="
          + poolSize
          + "]";
    }
  }

  /** An API key and what it may do; {@link #toString()} shows only its first four characters. */
  public record ApiKey(String key, Set<Scope> scopes) {
    public ApiKey {
      scopes = Collections.unmodifiableSet(EnumSet.copyOf(scopes));
    }

    @Override
    public String toString() {
      return "ApiKey[" + key.substring(0, 4) + "…, " + scopes + "]";
    }
  }

  /**
   * Worker tuning, passed to the engine's builder unchanged (see {@code Errand.Builder}): lease,
   * rescue interval, poll interval, claim and completion batch, claim and completion cooldown.
   */
  public record Workers(
      Duration lease,
      Duration rescueInterval,
      Duration pollInterval,
      int claimBatch,
      int completionBatch,
      Duration claimCooldown,
      Duration completionCooldown) {}

  /** Retry defaults of the job types the server registers. */
  public record Retry(int maxAttempts, Backoff backoff) {}

  /** The built-in {@code http} job type. */
  public record HttpJobs(
      String queue, List<String> allowedHosts, int excerptBytes, Duration maxRetryAfter) {
    public HttpJobs {
      allowedHosts = List.copyOf(allowedHosts);
    }
  }

  /** Retention of finished jobs. */
  public record Retention(Duration succeeded, Duration failed) {}

  /** Built-in maintenance schedules. */
  public record Maintenance(Schedule prune, Schedule orphans) {}

  /** Logging. */
  public record Logging(String level, LogFormat format) {}

  /**
   * Alerts.
   *
   * @param webhookUrl Slack-compatible webhook or null (never in {@link #toString()})
   */
  public record Alerts(
      String webhookUrl,
      boolean log,
      boolean deadLetters,
      double failureRate,
      Duration window,
      int minAttempts,
      Duration nodeStaleAfter,
      Duration coolDown,
      Duration checkInterval) {
    @Override
    public String toString() {
      return "Alerts[webhook="
          + (webhookUrl == null ? "none" : "***")
          + ", log="
          + log
          + ", deadLetters="
          + deadLetters
          + ", failureRate="
          + failureRate
          + ", window="
          + window
          + ", minAttempts="
          + minAttempts
          + ", nodeStaleAfter="
          + nodeStaleAfter
          + ", coolDown="
          + coolDown
          + ", checkInterval="
          + checkInterval
          + "]";
    }
  }

  /** The shortest node-stale limit: two node heartbeats (every 10 s). */
  public static final Duration MIN_NODE_STALE_AFTER = Duration.ofSeconds(20);

  private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9.:\\-]{1,253}");
  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._~-]{16,200}");
  private static final Pattern POSTGRES =
      Pattern.compile("jdbc:postgresql://[^/?#\\s]+(/[^?#\\s]*)?(\\?\\S*)?");

  private final int port;
  private final String host;
  private final Store store;
  private final List<ApiKey> apiKeys;
  private final Map<String, Integer> queues;
  private final Duration shutdownGrace;
  private final Workers workers;
  private final Retry retry;
  private final HttpJobs httpJobs;
  private final Retention retention;
  private final Maintenance maintenance;
  private final Logging logging;
  private final Alerts alerts;
  private final boolean demo;
  private final Map<ServerSetting, String> sources;
  private final List<String> warnings;

  private ServerConfig(SettingReader r, List<String> warnings) {
    port = r.integer(PORT, 0, 65535);
    host = r.raw(HOST);
    if (!HOST_NAME.matcher(host).matches()) {
      r.problem(
          HOST,
          "give an IP address (127.0.0.1, 0.0.0.0, ::1) or a host name of letters, digits,"
              + " dots and dashes");
    }
    store = store(r);
    apiKeys = apiKeys(r);
    demo = r.bool(DEMO);
    int before = r.problems.size();
    queues = queues(r, demo);
    boolean queuesValid = r.problems.size() == before;
    shutdownGrace = r.duration(SHUTDOWN_GRACE, Duration.ZERO);
    workers = workers(r);
    retry = retry(r);
    String httpQueue = r.raw(HTTP_QUEUE);
    if (queuesValid && !queues.containsKey(httpQueue)) {
      r.problem(
          HTTP_QUEUE,
          "this node does not serve that queue; add "
              + httpQueue
              + "=N to "
              + QUEUES.env()
              + " or pick one of "
              + queues.keySet());
    }
    List<String> hosts =
        r.raw(HTTP_ALLOWED_HOSTS).isEmpty()
            ? List.of()
            : java.util.Arrays.stream(r.raw(HTTP_ALLOWED_HOSTS).split(",", -1))
                .map(String::trim)
                .toList();
    r.parse(HTTP_ALLOWED_HOSTS, v -> dev.errand.server.http.HttpJobs.builder().allowedHosts(hosts));
    httpJobs =
        new HttpJobs(
            httpQueue,
            hosts,
            r.integer(HTTP_EXCERPT_BYTES, 0, 1 << 20),
            r.duration(HTTP_MAX_RETRY_AFTER, Duration.ZERO));
    retention =
        new Retention(
            r.duration(RETENTION_SUCCEEDED, Duration.ZERO),
            r.duration(RETENTION_FAILED, Duration.ZERO));
    maintenance = new Maintenance(schedule(r, PRUNE_SCHEDULE), schedule(r, ORPHANS_SCHEDULE));
    logging = logging(r);
    alerts = alerts(r);
    Map<ServerSetting, String> s = new LinkedHashMap<>();
    for (ServerSetting setting : ServerSetting.values()) {
      s.put(setting, r.source(setting));
    }
    sources = Collections.unmodifiableMap(s);
    this.warnings = List.copyOf(warnings);
    if (!r.problems.isEmpty()) {
      throw new ConfigException(r.problems);
    }
  }

  /**
   * Reads the configuration from the process environment and the file named by {@value
   * ServerSetting#CONFIG_FILE_ENV}, if any.
   *
   * @throws ConfigException listing every bad value
   */
  public static ServerConfig fromEnvironment() {
    return load(System.getenv(), null, Map.of());
  }

  /**
   * Reads the configuration.
   *
   * @param env environment variables (only {@code ERRAND_*} ones are read)
   * @param file the config file, or null to use {@value ServerSetting#CONFIG_FILE_ENV} from {@code
   *     env} (and no file if that is unset too)
   * @param commandLine values given as command-line options; they win over everything
   * @throws ConfigException listing every bad value, each naming its variable or file key
   */
  public static ServerConfig load(
      Map<String, String> env, Path file, Map<ServerSetting, String> commandLine) {
    List<String> warnings = new ArrayList<>();
    Path path = file;
    if (path == null && env.get(CONFIG_FILE_ENV) != null && !env.get(CONFIG_FILE_ENV).isBlank()) {
      path = Path.of(env.get(CONFIG_FILE_ENV).trim());
    }
    Map<String, String> fileValues = path == null ? Map.of() : readFile(path, file == null);
    Set<String> envNames = new java.util.HashSet<>();
    Set<String> fileKeys = new java.util.HashSet<>();
    for (ServerSetting s : ServerSetting.values()) {
      envNames.add(s.env());
      fileKeys.add(s.fileKey());
    }
    List<String> problems = new ArrayList<>();
    for (String key : new TreeMap<>(fileValues).keySet()) {
      if (!fileKeys.contains(key)) {
        problems.add(
            "'"
                + key
                + "' in "
                + path
                + " is not a setting; known keys: "
                + new java.util.TreeSet<>(fileKeys));
      }
    }
    for (String name : new TreeMap<>(env).keySet()) {
      if (name.startsWith("ERRAND_") && !envNames.contains(name) && !name.equals(CONFIG_FILE_ENV)) {
        warnings.add(name + " is set but is not a server setting (typo?); it is ignored");
      }
    }
    SettingReader r = new SettingReader(commandLine, env, fileValues, path);
    r.problems.addAll(problems);
    return new ServerConfig(r, warnings);
  }

  private static Map<String, String> readFile(Path path, boolean fromEnv) {
    String named = fromEnv ? CONFIG_FILE_ENV + " '" + path + "'" : "config file '" + path + "'";
    String name =
        path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".yml") || name.endsWith(".yaml") || name.endsWith(".json")) {
      throw new ConfigException(
          List.of(
              named
                  + " is not a .properties file; write key=value lines"
                  + " such as store.url=jdbc:sqlite:errand.db (see docs/server-config.md)"));
    }
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
      p.load(in);
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigException(
          List.of(
              named
                  + " cannot be read ("
                  + e
                  + "); give the path of a readable"
                  + " UTF-8 .properties file, or unset it"));
    }
    Map<String, String> m = new LinkedHashMap<>();
    for (String k : p.stringPropertyNames()) {
      m.put(k.trim(), p.getProperty(k));
    }
    return m;
  }

  private static Store store(SettingReader r) {
    String url = r.raw(STORE_URL);
    String user = blankToNull(r.raw(STORE_USER));
    String password = blankToNull(r.raw(STORE_PASSWORD));
    int pool = r.integer(STORE_POOL_SIZE, 1, 64);
    if (url.startsWith("jdbc:sqlite:")) {
      String file = url.substring("jdbc:sqlite:".length());
      if (file.isEmpty() || file.startsWith(":memory:") || file.contains("?")) {
        r.problem(
            STORE_URL,
            "give a database file, e.g. jdbc:sqlite:/var/lib/errand/errand.db (in-memory"
                + " databases lose every job with the process; URL parameters are not supported)");
        return new Store(url, StoreKind.SQLITE, null, null, null, pool);
      }
      if (user != null) {
        r.problem(STORE_USER, "SQLite has no users; unset it or use a jdbc:postgresql:// URL");
      }
      if (password != null) {
        r.problem(
            STORE_PASSWORD, "SQLite has no passwords; unset it or use a jdbc:postgresql:// URL");
      }
      return new Store(url, StoreKind.SQLITE, Path.of(file), null, null, pool);
    }
    if (POSTGRES.matcher(url).matches()) {
      return new Store(url, StoreKind.POSTGRES, null, user, password, pool);
    }
    r.problem(
        STORE_URL,
        "not a supported store; use jdbc:sqlite:FILE (one node) or"
            + " jdbc:postgresql://HOST[:PORT]/DATABASE (many nodes)");
    return new Store(url, StoreKind.SQLITE, null, null, null, pool);
  }

  private static List<ApiKey> apiKeys(SettingReader r) {
    String raw = r.raw(API_KEYS);
    List<ApiKey> keys = new ArrayList<>();
    if (raw.isEmpty()) {
      return List.of();
    }
    int n = 0;
    for (String entry : raw.split(",", -1)) {
      n++;
      String e = entry.trim();
      int colon = e.lastIndexOf(':');
      if (colon < 0) {
        r.problem(
            API_KEYS,
            "key " + n + " has no scopes; write KEY:SCOPE+SCOPE with scopes read, enqueue, admin");
        continue;
      }
      String key = e.substring(0, colon);
      if (!KEY.matcher(key).matches()) {
        r.problem(
            API_KEYS,
            "key "
                + n
                + " must be 16-200 characters of letters, digits and . _ ~ -"
                + " (generate one with: openssl rand -hex 24)");
        continue;
      }
      Set<Scope> scopes = EnumSet.noneOf(Scope.class);
      for (String scope : e.substring(colon + 1).split("\\+", -1)) {
        try {
          scopes.add(Scope.valueOf(scope.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException x) {
          r.problem(
              API_KEYS,
              "key " + n + " has unknown scope '" + scope.trim() + "'; use read, enqueue or admin");
        }
      }
      if (keys.stream().anyMatch(k -> k.key().equals(key))) {
        r.problem(
            API_KEYS, "key " + n + " is listed twice; give each key once with all its scopes");
      } else if (!scopes.isEmpty()) {
        keys.add(new ApiKey(key, scopes));
      }
    }
    return List.copyOf(keys);
  }

  private static Map<String, Integer> queues(SettingReader r, boolean demo) {
    Map<String, Integer> queues = new LinkedHashMap<>();
    String raw = r.raw(QUEUES);
    Errand.Builder check = Errand.builder();
    if (!raw.isEmpty()) {
      for (String entry : raw.split(",", -1)) {
        String[] parts = entry.trim().split("=", -1);
        if (parts.length != 2) {
          r.problem(
              QUEUES,
              "'" + entry.trim() + "' is not QUEUE=CONCURRENCY; write e.g. default=4,email=2");
          continue;
        }
        String name = parts[0].trim();
        try {
          int n = Integer.parseInt(parts[1].trim());
          check.queue(name, n);
          queues.put(name, n);
        } catch (NumberFormatException e) {
          r.problem(
              QUEUES,
              "the concurrency of queue '"
                  + name
                  + "' is not a whole number; write e.g. "
                  + name
                  + "=4");
        } catch (IllegalArgumentException e) {
          r.problem(QUEUES, e.getMessage());
        }
      }
    }
    if (demo) {
      queues.putIfAbsent("email", 2);
    }
    return Collections.unmodifiableMap(queues);
  }

  private static Workers workers(SettingReader r) {
    return new Workers(
        r.duration(LEASE, Duration.ofSeconds(1)),
        r.duration(RESCUE_INTERVAL, Duration.ofMillis(100)),
        r.duration(POLL_INTERVAL, Duration.ofMillis(10)),
        r.integer(CLAIM_BATCH, 1, 10_000),
        r.integer(COMPLETION_BATCH, 1, 10_000),
        cooldown(r, CLAIM_COOLDOWN),
        cooldown(r, COMPLETION_COOLDOWN));
  }

  private static Duration cooldown(SettingReader r, ServerSetting s) {
    Duration d = r.duration(s, Duration.ZERO);
    if (d.compareTo(dev.errand.Errand.Builder.MAX_COOLDOWN) > 0) {
      r.problem(s, "too long; give at most 1s (e.g. 1ms), or 0s for none");
    }
    return d;
  }

  private static Retry retry(SettingReader r) {
    int attempts = r.integer(RETRY_MAX_ATTEMPTS, 1, 1000);
    Duration base = r.duration(RETRY_BACKOFF, Duration.ofMillis(1));
    Duration cap = r.duration(RETRY_BACKOFF_CAP, Duration.ofMillis(1));
    double jitter =
        r.parse(
                RETRY_JITTER,
                v -> {
                  double j = number(v);
                  if (!(j >= 0 && j <= 1)) {
                    throw new IllegalArgumentException(
                        "out of range; give a fraction from 0 to 1, e.g. 0.1");
                  }
                  return j;
                })
            .orElse(0.0);
    Backoff backoff = Backoff.exponential(base);
    if (cap.compareTo(base) < 0) {
      r.problem(
          RETRY_BACKOFF_CAP,
          "shorter than "
              + RETRY_BACKOFF.env()
              + " ("
              + base
              + "); raise the cap or lower the backoff");
    } else {
      backoff = backoff.withCap(cap);
    }
    return new Retry(attempts, backoff.withJitter(jitter));
  }

  private static Schedule schedule(SettingReader r, ServerSetting s) {
    return r.parse(s, Schedule::parse).orElse(Schedule.every(Duration.ofMinutes(1)));
  }

  private static Logging logging(SettingReader r) {
    String level = r.raw(LOG_LEVEL).toUpperCase(Locale.ROOT);
    if (!Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF").contains(level)) {
      r.problem(LOG_LEVEL, "not a log level; use TRACE, DEBUG, INFO, WARN, ERROR or OFF");
      level = "INFO";
    }
    LogFormat format =
        r.parse(
                LOG_FORMAT,
                v ->
                    switch (v.toLowerCase(Locale.ROOT)) {
                      case "text" -> LogFormat.TEXT;
                      case "json" -> LogFormat.JSON;
                      default ->
                          throw new IllegalArgumentException("not a log format; use text or json");
                    })
            .orElse(LogFormat.TEXT);
    return new Logging(level, format);
  }

  private static Alerts alerts(SettingReader r) {
    String webhook = blankToNull(r.raw(ALERT_WEBHOOK_URL));
    if (webhook != null) {
      r.parse(ALERT_WEBHOOK_URL, WebhookAlertSink::requireUrl);
    }
    double rate =
        r.parse(
                ALERT_FAILURE_RATE,
                v -> {
                  boolean percent = v.endsWith("%");
                  double d =
                      number(percent ? v.substring(0, v.length() - 1).trim() : v)
                          / (percent ? 100 : 1);
                  if (!(d > 0 && d <= 1)) {
                    throw new IllegalArgumentException(
                        "out of range; give a fraction above 0 and at most 1 (0.25) or a percent (25%)");
                  }
                  return d;
                })
            .orElse(0.5);
    return new Alerts(
        webhook,
        r.bool(ALERT_LOG),
        r.bool(ALERT_DEAD_LETTERS),
        rate,
        r.duration(ALERT_WINDOW, Duration.ofSeconds(1)),
        r.integer(ALERT_MIN_ATTEMPTS, 1, 1_000_000),
        r.duration(ALERT_NODE_STALE_AFTER, MIN_NODE_STALE_AFTER),
        r.duration(ALERT_COOLDOWN, Duration.ofSeconds(1)),
        r.duration(ALERT_CHECK_INTERVAL, Duration.ofSeconds(1)));
  }

  private static double number(String v) {
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a number");
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  /** TCP port of the HTTP API. */
  public int port() {
    return port;
  }

  /** {@code ERRAND_HOST}: the address the HTTP API and dashboard bind to. */
  public String host() {
    return host;
  }

  /** The store. */
  public Store store() {
    return store;
  }

  /** API keys; empty means loopback clients only. */
  public List<ApiKey> apiKeys() {
    return apiKeys;
  }

  /** Queues served on this node, with their concurrency, in the order given. */
  public Map<String, Integer> queues() {
    return queues;
  }

  /** Grace period of a stop. */
  public Duration shutdownGrace() {
    return shutdownGrace;
  }

  /** Worker tuning. */
  public Workers workers() {
    return workers;
  }

  /** Retry defaults. */
  public Retry retry() {
    return retry;
  }

  /** The http job type's settings. */
  public HttpJobs httpJobs() {
    return httpJobs;
  }

  /** Retention. */
  public Retention retention() {
    return retention;
  }

  /** Maintenance schedules. */
  public Maintenance maintenance() {
    return maintenance;
  }

  /** Logging. */
  public Logging logging() {
    return logging;
  }

  /** Alerts. */
  public Alerts alerts() {
    return alerts;
  }

  /** Whether the demo workload runs. */
  public boolean demo() {
    return demo;
  }

  /**
   * Where each setting's value came from: {@code default}, {@code file}, {@code environment} or the
   * command line.
   */
  public Map<ServerSetting, String> sources() {
    return sources;
  }

  /** Things worth telling the operator that are not errors (e.g. unknown ERRAND_ variables). */
  public List<String> warnings() {
    return warnings;
  }

  /** The effective configuration, one line per concern, secrets masked: logged once at start. */
  public String describe() {
    return "port="
        + port
        + ", "
        + store
        + ", apiKeys="
        + apiKeys.size()
        + ", queues="
        + queues
        + ", shutdownGrace="
        + shutdownGrace
        + ", "
        + workers
        + ", "
        + retry
        + ", "
        + httpJobs
        + ", "
        + retention
        + ", "
        + maintenance
        + ", "
        + logging
        + ", "
        + alerts
        + ", demo="
        + demo;
  }
}
