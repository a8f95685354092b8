package dev.errand.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Configuration of {@link ErrandWeb}, grouped by concern. Immutable; built with {@link #builder()},
 * every setter validating its value and naming it when rejecting it.
 *
 * <p>Secure by default: with no {@link Builder#apiKey API key} only loopback clients are served
 * (and only with a loopback {@code Host} header, against DNS rebinding); no job type may be
 * enqueued over HTTP until it is listed with {@link Builder#remoteEnqueue}; request bodies are
 * limited to {@value #DEFAULT_MAX_BODY_BYTES} bytes.
 */
public final class WebConfig {
  /** Address the standalone server binds unless told otherwise: loopback only. */
  public static final String DEFAULT_HOST = "127.0.0.1";

  /** Port of the standalone server unless told otherwise. */
  public static final int DEFAULT_PORT = 7070;

  /** Largest request body accepted unless told otherwise (1 MiB). */
  public static final int DEFAULT_MAX_BODY_BYTES = 1 << 20;

  /** Most jobs in one batch enqueue unless told otherwise. */
  public static final int DEFAULT_MAX_BATCH = 1000;

  /** Events kept for {@code Last-Event-ID} reconnects unless told otherwise. */
  public static final int DEFAULT_SSE_REPLAY = 1000;

  /** Most event streams open at once unless told otherwise. */
  public static final int DEFAULT_SSE_MAX_CLIENTS = 200;

  /** Events queued for one slow stream before it is closed, unless told otherwise. */
  public static final int DEFAULT_SSE_CLIENT_BUFFER = 1000;

  /** Interval of keep-alive comments on idle event streams unless told otherwise. */
  public static final Duration DEFAULT_SSE_KEEP_ALIVE = Duration.ofSeconds(15);

  /** Window of {@code /api/stats} unless a request asks for another. */
  public static final Duration DEFAULT_STATS_WINDOW = Duration.ofHours(1);

  /**
   * A node whose heartbeat is older than this counts as not heartbeating, unless told otherwise.
   */
  public static final Duration DEFAULT_NODE_STALE_AFTER = Duration.ofSeconds(60);

  /**
   * Failure rate over the stats window above which health reports a warning, unless told otherwise.
   */
  public static final double DEFAULT_FAILURE_RATE_WARNING = 0.5;

  /** Replacement of redacted payload values. */
  public static final String REDACTED = "[redacted]";

  private static final Pattern PREFIX = Pattern.compile("(/[A-Za-z0-9._~-]+)*");

  private final String host;
  private final int port;
  private final String pathPrefix;
  private final boolean metrics;
  private final List<ApiKey> apiKeys;
  private final Set<String> remoteEnqueue;
  private final Set<String> redactedFields;
  private final Set<String> allowedHosts;
  private final int maxBodyBytes;
  private final int maxBatch;
  private final int sseReplay;
  private final int sseMaxClients;
  private final int sseClientBuffer;
  private final Duration sseKeepAlive;
  private final Duration statsWindow;
  private final Duration nodeStaleAfter;
  private final double failureRateWarning;
  private final boolean openHealth;

  private WebConfig(Builder b) {
    this.host = b.host;
    this.port = b.port;
    this.pathPrefix = b.pathPrefix;
    this.metrics = b.metrics;
    this.apiKeys = List.copyOf(b.apiKeys);
    this.remoteEnqueue = Set.copyOf(b.remoteEnqueue);
    this.redactedFields = Set.copyOf(b.redactedFields);
    this.allowedHosts = Set.copyOf(b.allowedHosts);
    this.maxBodyBytes = b.maxBodyBytes;
    this.maxBatch = b.maxBatch;
    this.sseReplay = b.sseReplay;
    this.sseMaxClients = b.sseMaxClients;
    this.sseClientBuffer = b.sseClientBuffer;
    this.sseKeepAlive = b.sseKeepAlive;
    this.statsWindow = b.statsWindow;
    this.nodeStaleAfter = b.nodeStaleAfter;
    this.failureRateWarning = b.failureRateWarning;
    this.openHealth = b.openHealth;
  }

  /** A builder with every default. */
  public static Builder builder() {
    return new Builder();
  }

  /** The defaults: loopback only, no keys, nothing remotely enqueueable. */
  public static WebConfig defaults() {
    return builder().build();
  }

  /** Address the server of its own binds. */
  public String host() {
    return host;
  }

  /** Port of the server of its own; 0 for any free one. */
  public int port() {
    return port;
  }

  /** Prefix of every route, empty or starting with {@code /}. */
  public String pathPrefix() {
    return pathPrefix;
  }

  /** Whether {@code GET /metrics} is served. */
  public boolean metrics() {
    return metrics;
  }

  /** Type names that may be enqueued over HTTP. */
  public Set<String> remoteEnqueue() {
    return remoteEnqueue;
  }

  /** Payload field names whose values are shown as {@value #REDACTED}. */
  public Set<String> redactedFields() {
    return redactedFields;
  }

  /** True if at least one API key is configured (else loopback only). */
  public boolean hasApiKeys() {
    return !apiKeys.isEmpty();
  }

  List<ApiKey> apiKeys() {
    return apiKeys;
  }

  Set<String> allowedHosts() {
    return allowedHosts;
  }

  /** Largest request body accepted, in bytes. */
  public int maxBodyBytes() {
    return maxBodyBytes;
  }

  /** Most jobs in one batch enqueue. */
  public int maxBatch() {
    return maxBatch;
  }

  /** Events kept in memory for {@code Last-Event-ID} reconnects. */
  public int sseReplay() {
    return sseReplay;
  }

  /** Most event streams open at once. */
  public int sseMaxClients() {
    return sseMaxClients;
  }

  /** Events queued for one stream before a client that does not read is disconnected. */
  public int sseClientBuffer() {
    return sseClientBuffer;
  }

  /** Interval of keep-alive comments on idle streams. */
  public Duration sseKeepAlive() {
    return sseKeepAlive;
  }

  /** Default window of statistics and of the health failure rate. */
  public Duration statsWindow() {
    return statsWindow;
  }

  /** Heartbeat age after which a node counts as not heartbeating. */
  public Duration nodeStaleAfter() {
    return nodeStaleAfter;
  }

  /** Failure rate (0–1) above which health reports a warning. */
  public double failureRateWarning() {
    return failureRateWarning;
  }

  /** True if {@code /health*} answers without a key (and from any address). */
  public boolean openHealth() {
    return openHealth;
  }

  @Override
  public String toString() {
    return "WebConfig[host="
        + host
        + ", port="
        + port
        + ", prefix='"
        + pathPrefix
        + "', apiKeys="
        + apiKeys.size()
        + ", remoteEnqueue="
        + remoteEnqueue
        + ", redacted="
        + redactedFields
        + ", maxBodyBytes="
        + maxBodyBytes
        + ", maxBatch="
        + maxBatch
        + ", sseReplay="
        + sseReplay
        + ", sseMaxClients="
        + sseMaxClients
        + ", statsWindow="
        + statsWindow
        + ", openHealth="
        + openHealth
        + "]";
  }

  /** A configured key: the SHA-256 of its text and its scopes. The text itself is not kept. */
  record ApiKey(byte[] sha256, Set<Scope> scopes) {}

  static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }

  /** Builds a {@link WebConfig}. */
  public static final class Builder {
    private String host = DEFAULT_HOST;
    private int port = DEFAULT_PORT;
    private String pathPrefix = "";
    private boolean metrics = true;
    private final List<ApiKey> apiKeys = new ArrayList<>();
    private final Set<String> remoteEnqueue = new LinkedHashSet<>();
    private final Set<String> redactedFields = new LinkedHashSet<>();
    private final Set<String> allowedHosts = new LinkedHashSet<>();
    private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
    private int maxBatch = DEFAULT_MAX_BATCH;
    private int sseReplay = DEFAULT_SSE_REPLAY;
    private int sseMaxClients = DEFAULT_SSE_MAX_CLIENTS;
    private int sseClientBuffer = DEFAULT_SSE_CLIENT_BUFFER;
    private Duration sseKeepAlive = DEFAULT_SSE_KEEP_ALIVE;
    private Duration statsWindow = DEFAULT_STATS_WINDOW;
    private Duration nodeStaleAfter = DEFAULT_NODE_STALE_AFTER;
    private double failureRateWarning = DEFAULT_FAILURE_RATE_WARNING;
    private boolean openHealth;

    private Builder() {}

    /** Address the standalone server binds ({@value #DEFAULT_HOST}); {@code 0.0.0.0} for all. */
    public Builder host(String host) {
      if (host == null || host.isBlank()) {
        throw new IllegalArgumentException("host must be an address or name, got '" + host + "'");
      }
      this.host = host;
      return this;
    }

    /** Port of the standalone server ({@value #DEFAULT_PORT}); 0 picks a free one. */
    public Builder port(int port) {
      this.port = range("port", port, 0, 65_535);
      return this;
    }

    /**
     * Whether {@code GET /metrics} is served (true). Turn it off for a mount whose engine's meters
     * are scraped elsewhere or not at all: the route is then not registered and no warning about a
     * registry that is not Prometheus is logged.
     */
    public Builder metrics(boolean serve) {
      this.metrics = serve;
      return this;
    }

    /** Prefix of every route, e.g. {@code /errand} when mounted in an app; empty by default. */
    public Builder pathPrefix(String prefix) {
      if (prefix == null || !PREFIX.matcher(prefix).matches()) {
        throw new IllegalArgumentException(
            "pathPrefix must be empty or like /errand (segments of"
                + " letters, digits and . _ ~ -, no trailing slash), got '"
                + prefix
                + "'");
      }
      this.pathPrefix = prefix;
      return this;
    }

    /**
     * Adds an API key with its scopes. Once any key is configured every request needs one, from any
     * address, in {@code Authorization: Bearer <key>} or {@code X-API-Key: <key>}. Only the key's
     * SHA-256 is kept.
     *
     * @throws IllegalArgumentException if the key is shorter than 16 characters, has characters
     *     outside printable ASCII, or no scope is given
     */
    public Builder apiKey(String key, Scope... scopes) {
      if (key == null || key.length() < 16 || !key.chars().allMatch(c -> c > 32 && c < 127)) {
        throw new IllegalArgumentException(
            "an API key must be at least 16 printable ASCII characters"
                + " without spaces (e.g. 32 random hex digits); got one of length "
                + (key == null ? "null" : key.length()));
      }
      if (scopes == null || scopes.length == 0) {
        throw new IllegalArgumentException(
            "an API key needs at least one scope: Scope.READ," + " Scope.ENQUEUE or Scope.ADMIN");
      }
      EnumSet<Scope> s = EnumSet.noneOf(Scope.class);
      for (Scope scope : scopes) {
        s.add(Objects.requireNonNull(scope, "scope"));
      }
      apiKeys.add(new ApiKey(sha256(key), Set.copyOf(s)));
      return this;
    }

    /** Lets these registered job types be enqueued over HTTP; none may be by default. */
    public Builder remoteEnqueue(String... typeNames) {
      for (String t : typeNames) {
        if (t == null || t.isBlank()) {
          throw new IllegalArgumentException(
              "remoteEnqueue type name must not be blank, got '" + t + "'");
        }
        remoteEnqueue.add(t);
      }
      return this;
    }

    /**
     * Payload and result fields (at any depth, by exact name) whose values the API shows as {@value
     * WebConfig#REDACTED}, e.g. {@code "password", "token"}.
     */
    public Builder redact(String... fieldNames) {
      for (String f : fieldNames) {
        if (f == null || f.isEmpty()) {
          throw new IllegalArgumentException(
              "redacted field name must not be empty, got '" + f + "'");
        }
        redactedFields.add(f);
      }
      return this;
    }

    /**
     * Extra {@code Host} header names served without API keys (besides localhost, 127.0.0.1 and
     * [::1]), for a loopback proxy that passes its own host name.
     */
    public Builder allowedHosts(String... hostNames) {
      for (String h : hostNames) {
        if (h == null || h.isBlank() || h.contains(":")) {
          throw new IllegalArgumentException(
              "allowed host must be a host name without port, got '" + h + "'");
        }
        allowedHosts.add(h.toLowerCase(java.util.Locale.ROOT));
      }
      return this;
    }

    /** Largest request body in bytes ({@value WebConfig#DEFAULT_MAX_BODY_BYTES}); 1 KiB–64 MiB. */
    public Builder maxBodyBytes(int bytes) {
      this.maxBodyBytes = range("maxBodyBytes", bytes, 1024, 64 << 20);
      return this;
    }

    /** Most jobs in one batch enqueue ({@value WebConfig#DEFAULT_MAX_BATCH}); 1–10000. */
    public Builder maxBatch(int n) {
      this.maxBatch = range("maxBatch", n, 1, 10_000);
      return this;
    }

    /**
     * Events kept for {@code Last-Event-ID} reconnects ({@value WebConfig#DEFAULT_SSE_REPLAY});
     * 1–100000.
     */
    public Builder sseReplay(int events) {
      this.sseReplay = range("sseReplay", events, 1, 100_000);
      return this;
    }

    /** Most event streams open at once ({@value WebConfig#DEFAULT_SSE_MAX_CLIENTS}); 1–10000. */
    public Builder sseMaxClients(int n) {
      this.sseMaxClients = range("sseMaxClients", n, 1, 10_000);
      return this;
    }

    /**
     * Events queued for one stream that is not reading ({@value
     * WebConfig#DEFAULT_SSE_CLIENT_BUFFER}); when full the stream is closed, and the client resumes
     * with {@code Last-Event-ID}. 1–100000.
     */
    public Builder sseClientBuffer(int events) {
      this.sseClientBuffer = range("sseClientBuffer", events, 1, 100_000);
      return this;
    }

    /** Keep-alive comment interval on idle streams (15 s); 10 ms–5 min. */
    public Builder sseKeepAlive(Duration interval) {
      this.sseKeepAlive =
          between("sseKeepAlive", interval, Duration.ofMillis(10), Duration.ofMinutes(5));
      return this;
    }

    /** Default window of {@code /api/stats} and of the health failure rate (1 h); 1 min–30 days. */
    public Builder statsWindow(Duration window) {
      this.statsWindow = between("statsWindow", window, Duration.ofMinutes(1), Duration.ofDays(30));
      return this;
    }

    /** Heartbeat age after which a node counts as not heartbeating (60 s); 1 s–1 h. */
    public Builder nodeStaleAfter(Duration age) {
      this.nodeStaleAfter =
          between("nodeStaleAfter", age, Duration.ofSeconds(1), Duration.ofHours(1));
      return this;
    }

    /** Failure rate (0–1) over the stats window above which health reports a warning (0.5). */
    public Builder failureRateWarning(double rate) {
      if (!(rate >= 0 && rate <= 1)) {
        throw new IllegalArgumentException(
            "failureRateWarning must be between 0 and 1, got " + rate);
      }
      this.failureRateWarning = rate;
      return this;
    }

    /**
     * Serves {@code /health}, {@code /health/live} and {@code /health/ready} without a key and to
     * any address (false by default), for load balancers and orchestrators that cannot send one.
     * They reveal only up/down and check names, never jobs.
     */
    public Builder openHealth(boolean open) {
      this.openHealth = open;
      return this;
    }

    /** The configuration; every value was checked when set. */
    public WebConfig build() {
      return new WebConfig(this);
    }

    private static int range(String what, int n, int min, int max) {
      if (n < min || n > max) {
        throw new IllegalArgumentException(what + " must be " + min + "-" + max + ", got " + n);
      }
      return n;
    }

    private static Duration between(String what, Duration d, Duration min, Duration max) {
      Objects.requireNonNull(d, what);
      if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
        throw new IllegalArgumentException(
            what + " must be between " + min + " and " + max + ", got " + d);
      }
      return d;
    }
  }
}
