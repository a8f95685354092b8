package dev.errand.server.config;

import java.util.Locale;

/**
 * Every setting of the Errand server: its environment variable, its key in the optional config
 * file, its default and unit. Precedence: command-line option, then environment variable, then
 * config file, then default. {@code docs/server-config.md} lists them all (a test keeps it so).
 */
public enum ServerSetting {
  PORT(
      "ERRAND_PORT",
      "7070",
      "TCP port 0-65535",
      "port the HTTP API and dashboard (errand-web) listen on; 0: any free port (printed at start)"),
  HOST(
      "ERRAND_HOST",
      "127.0.0.1",
      "IP address or host name",
      "address the HTTP API and dashboard bind to; 0.0.0.0 for every interface (e.g. in a container)"),
  STORE_URL(
      "ERRAND_STORE_URL",
      "jdbc:sqlite:errand-demo.db",
      "JDBC URL",
      "where jobs live: jdbc:sqlite:FILE (one node) or jdbc:postgresql://HOST:PORT/DB (many nodes)"),
  STORE_USER("ERRAND_STORE_USER", "", "text", "PostgreSQL user (or put it in the URL)"),
  STORE_PASSWORD("ERRAND_STORE_PASSWORD", "", "text, secret", "PostgreSQL password; never logged"),
  STORE_POOL_SIZE(
      "ERRAND_STORE_POOL_SIZE",
      "10",
      "connections 1-64",
      "PostgreSQL: connection pool size; SQLite: read connections (writes always use one)"),
  API_KEYS(
      "ERRAND_API_KEYS",
      "",
      "list KEY:SCOPE+SCOPE,…",
      "API keys and their scopes (read, enqueue, admin); none: the API answers loopback clients only"),
  QUEUES(
      "ERRAND_QUEUES",
      "default=4",
      "list QUEUE=CONCURRENCY,…",
      "queues this node serves, each with its most jobs at once; empty: enqueue and manage only"),
  SHUTDOWN_GRACE(
      "ERRAND_SHUTDOWN_GRACE",
      "10s",
      "duration",
      "how long a stop lets running jobs finish before interrupting and releasing them"),
  LEASE(
      "ERRAND_LEASE",
      "15s",
      "duration ≥ 1s",
      "how long a claim holds a job without a heartbeat (renewed every third of it); a dead node's"
          + " jobs are rescued within lease + rescue interval"),
  RESCUE_INTERVAL(
      "ERRAND_RESCUE_INTERVAL",
      "5s",
      "duration ≥ 100ms",
      "how often expired leases are looked for"),
  POLL_INTERVAL(
      "ERRAND_POLL_INTERVAL",
      "1s",
      "duration ≥ 10ms",
      "how often an idle worker looks for due jobs without being woken (wake-ups come first)"),
  CLAIM_BATCH(
      "ERRAND_CLAIM_BATCH",
      "100",
      "jobs 1-10000",
      "most jobs claimed in one store call; also bounds what a crash of this node runs again"),
  COMPLETION_BATCH(
      "ERRAND_COMPLETION_BATCH",
      "1000",
      "outcomes 1-10000",
      "most outcomes written in one store call"),
  CLAIM_COOLDOWN(
      "ERRAND_CLAIM_COOLDOWN",
      "1ms",
      "duration 0-1s",
      "least time between two claims of a queue after one that was not full, so jobs enqueued one"
          + " by one share claims; 0s: none"),
  COMPLETION_COOLDOWN(
      "ERRAND_COMPLETION_COOLDOWN",
      "1ms",
      "duration 0-1s",
      "least time between two outcome writes after one of less than a batch; 0s: none"),
  RETRY_MAX_ATTEMPTS(
      "ERRAND_RETRY_MAX_ATTEMPTS",
      "20",
      "attempts 1-1000",
      "attempts of server-registered job types (http) before a job is dead-lettered"),
  RETRY_BACKOFF(
      "ERRAND_RETRY_BACKOFF",
      "2s",
      "duration",
      "first wait after a failed attempt; doubles after each further one"),
  RETRY_BACKOFF_CAP("ERRAND_RETRY_BACKOFF_CAP", "1h", "duration", "the longest single wait"),
  RETRY_JITTER(
      "ERRAND_RETRY_JITTER",
      "0",
      "fraction 0-1",
      "spreads each wait by up to ± this share, so jobs that failed together come back apart"),
  HTTP_QUEUE(
      "ERRAND_HTTP_QUEUE",
      "default",
      "queue name",
      "queue of http jobs; must be one of ERRAND_QUEUES"),
  HTTP_ALLOWED_HOSTS(
      "ERRAND_HTTP_ALLOWED_HOSTS",
      "",
      "list of hosts, IPs or *.domain",
      "the only hosts http jobs may call; empty: any host (then anyone who may enqueue can make the server call any URL)"),
  HTTP_EXCERPT_BYTES(
      "ERRAND_HTTP_EXCERPT_BYTES",
      "1024",
      "bytes 0-1048576",
      "response body bytes kept in an http job's result and errors"),
  HTTP_MAX_RETRY_AFTER(
      "ERRAND_HTTP_MAX_RETRY_AFTER",
      "1h",
      "duration",
      "the longest Retry-After an http job honours; longer ones are cut to this"),
  RETENTION_SUCCEEDED(
      "ERRAND_RETENTION_SUCCEEDED",
      "1d",
      "duration",
      "how long SUCCEEDED jobs are kept before pruning"),
  RETENTION_FAILED(
      "ERRAND_RETENTION_FAILED",
      "14d",
      "duration",
      "how long FAILED and CANCELLED jobs are kept before pruning"),
  PRUNE_SCHEDULE(
      "ERRAND_PRUNE_SCHEDULE",
      "every:PT1M",
      "schedule",
      "when finished jobs past their retention are deleted, e.g. daily:02:00@Europe/London"),
  ORPHANS_SCHEDULE(
      "ERRAND_ORPHANS_SCHEDULE",
      "every:PT5M",
      "schedule",
      "when occurrences of deleted schedules are cancelled, e.g. weekly:SUNDAY 03:00@UTC"),
  LOG_LEVEL(
      "ERRAND_LOG_LEVEL",
      "INFO",
      "TRACE, DEBUG, INFO, WARN, ERROR or OFF",
      "level of the root logger"),
  LOG_FORMAT(
      "ERRAND_LOG_FORMAT",
      "text",
      "text or json",
      "json: one JSON object per line (logback JsonEncoder), MDC and key/values as fields"),
  ALERT_WEBHOOK_URL(
      "ERRAND_ALERT_WEBHOOK_URL",
      "",
      "http(s) URL, secret",
      "Slack-compatible incoming webhook that receives alerts; empty: alerts go to the log only"),
  ALERT_LOG(
      "ERRAND_ALERT_LOG",
      "true",
      "true or false",
      "also write every alert to the log (errand.alert)"),
  ALERT_DEAD_LETTERS(
      "ERRAND_ALERT_DEAD_LETTERS",
      "true",
      "true or false",
      "alert when a job is dead-lettered to FAILED"),
  ALERT_FAILURE_RATE(
      "ERRAND_ALERT_FAILURE_RATE",
      "0.5",
      "fraction (0, 1] or percent",
      "share of failed attempts of one type over the window that raises an alert (0.5 or 50%)"),
  ALERT_WINDOW("ERRAND_ALERT_WINDOW", "5m", "duration ≥ 1s", "sliding window of the failure rate"),
  ALERT_MIN_ATTEMPTS(
      "ERRAND_ALERT_MIN_ATTEMPTS",
      "20",
      "attempts ≥ 1",
      "attempts a type needs in the window before its failure rate counts"),
  ALERT_NODE_STALE_AFTER(
      "ERRAND_ALERT_NODE_STALE_AFTER",
      "1m",
      "duration ≥ 20s",
      "a node whose heartbeat (every 10 s) is older than this is unhealthy"),
  ALERT_COOLDOWN(
      "ERRAND_ALERT_COOLDOWN",
      "15m",
      "duration",
      "at most one alert per kind and subject within this time"),
  ALERT_CHECK_INTERVAL(
      "ERRAND_ALERT_CHECK_INTERVAL",
      "30s",
      "duration",
      "how often failure rates and node heartbeats are checked"),
  DEMO(
      "ERRAND_DEMO",
      "true",
      "true or false",
      "run the demo workload (and serve its email queue); set false in production");

  /** The environment variable naming the optional config file; it has no file key itself. */
  public static final String CONFIG_FILE_ENV = "ERRAND_CONFIG_FILE";

  private final String env;
  private final String defaultValue;
  private final String unit;
  private final String meaning;

  ServerSetting(String env, String defaultValue, String unit, String meaning) {
    this.env = env;
    this.defaultValue = defaultValue;
    this.unit = unit;
    this.meaning = meaning;
  }

  /** The environment variable, e.g. {@code ERRAND_STORE_URL}. */
  public String env() {
    return env;
  }

  /** The config file key: the variable without {@code ERRAND_}, lower case, dots for {@code _}. */
  public String fileKey() {
    return env.substring("ERRAND_".length()).toLowerCase(Locale.ROOT).replace('_', '.');
  }

  /** The default as text; empty means none. */
  public String defaultValue() {
    return defaultValue;
  }

  /** The unit or form of the value. */
  public String unit() {
    return unit;
  }

  /** What the setting does. */
  public String meaning() {
    return meaning;
  }

  /** True for values that must never be logged. */
  public boolean secret() {
    return this == STORE_PASSWORD || this == API_KEYS || this == ALERT_WEBHOOK_URL;
  }
}
