package dev.errand.examples.civic;

import dev.errand.examples.ExampleDatabase;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Settings of {@link CivicApp}. Immutable; build with {@link #builder(Path)}.
 *
 * @param database where users, reports, tokens, the audit log and jobs live (a SQLite file in the
 *     data directory by default)
 * @param host address the HTTP server binds (127.0.0.1)
 * @param port HTTP port, 0 for any free one
 * @param publicBaseUrl the URL the verification link in emails starts with; null for the app's own
 *     server URL
 * @param smtpHost the SMTP server verification emails go through (127.0.0.1)
 * @param smtpPort its port (2525)
 * @param mailFrom the sender address of emails ({@code noreply@civiclens.example})
 * @param smtpTimeout limit for connecting to the SMTP server and each read and write (10 s)
 * @param smsSender the SMS gateway ({@link LoggingSmsSender} by default)
 * @param background true (the default) to run 001's non-critical work after the response or as
 *     durable jobs; false to run all of it inside the request, as 001's code did before (the
 *     benchmark's "synchronous" mode)
 * @param workers concurrent durable jobs on queue {@code civic} (4)
 * @param laneThreads threads of the after-response lane (8)
 * @param emailAttempts attempts of a verification email job before it is dead-lettered (6)
 * @param emailBackoff first retry delay of an email job, doubling after (2 s)
 * @param smsAttempts attempts of an OTP text on the after-response lane (3)
 * @param smsBackoff first retry delay of an OTP text, doubling after (500 ms)
 * @param otpTtl how long an OTP code is valid (5 min)
 * @param accessTokenTtl how long an access token is valid (24 h)
 * @param emailTokenTtl how long an email verification link is valid (24 h)
 * @param tokenCleanupInterval how often the stored schedule deletes expired tokens (1 h)
 * @param reputationPerReport reputation points a signed-in user earns per report (5)
 * @param clock the clock of the application (token expiry, cleanup, audit times)
 */
public record CivicConfig(
    Supplier<ExampleDatabase> database,
    String host,
    int port,
    String publicBaseUrl,
    String smtpHost,
    int smtpPort,
    String mailFrom,
    Duration smtpTimeout,
    SmsSender smsSender,
    boolean background,
    int workers,
    int laneThreads,
    int emailAttempts,
    Duration emailBackoff,
    int smsAttempts,
    Duration smsBackoff,
    Duration otpTtl,
    Duration accessTokenTtl,
    Duration emailTokenTtl,
    Duration tokenCleanupInterval,
    int reputationPerReport,
    Clock clock) {

  /** Validates every setting, naming the bad one. */
  public CivicConfig {
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(smtpHost, "smtpHost");
    Objects.requireNonNull(mailFrom, "mailFrom");
    Objects.requireNonNull(smsSender, "smsSender");
    Objects.requireNonNull(clock, "clock");
    port(port, "port");
    port(smtpPort, "smtpPort");
    atLeastOne(workers, "workers");
    atLeastOne(laneThreads, "laneThreads");
    atLeastOne(emailAttempts, "emailAttempts");
    atLeastOne(smsAttempts, "smsAttempts");
    if (reputationPerReport < 0) {
      throw new IllegalArgumentException(
          "reputationPerReport must be 0 or more, got " + reputationPerReport);
    }
    List<Duration> durations =
        List.of(
            smtpTimeout,
            emailBackoff,
            smsBackoff,
            otpTtl,
            accessTokenTtl,
            emailTokenTtl,
            tokenCleanupInterval);
    for (Duration d : durations) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("durations must be positive, got " + d);
      }
    }
    if (publicBaseUrl != null && !publicBaseUrl.matches("https?://\\S+")) {
      throw new IllegalArgumentException(
          "publicBaseUrl must be an http(s) URL such as https://civic.example, got "
              + publicBaseUrl);
    }
  }

  private static void port(int port, String name) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(name + " must be 0-65535, got " + port);
    }
  }

  private static void atLeastOne(int n, String name) {
    if (n < 1) {
      throw new IllegalArgumentException(name + " must be at least 1, got " + n);
    }
  }

  /** Defaults, with {@code dataDir} holding the SQLite database ({@code civic.db}). */
  public static Builder builder(Path dataDir) {
    return new Builder(dataDir);
  }

  /** Builds a {@link CivicConfig}; every setter returns this builder. */
  public static final class Builder {
    private Supplier<ExampleDatabase> database;
    private String host = "127.0.0.1";
    private int port;
    private String publicBaseUrl;
    private String smtpHost = "127.0.0.1";
    private int smtpPort = 2525;
    private String mailFrom = "noreply@civiclens.example";
    private Duration smtpTimeout = Duration.ofSeconds(10);
    private SmsSender smsSender = new LoggingSmsSender();
    private boolean background = true;
    private int workers = 4;
    private int laneThreads = 8;
    private int emailAttempts = 6;
    private Duration emailBackoff = Duration.ofSeconds(2);
    private int smsAttempts = 3;
    private Duration smsBackoff = Duration.ofMillis(500);
    private Duration otpTtl = Duration.ofMinutes(5);
    private Duration accessTokenTtl = Duration.ofHours(24);
    private Duration emailTokenTtl = Duration.ofHours(24);
    private Duration tokenCleanupInterval = Duration.ofHours(1);
    private int reputationPerReport = 5;
    private Clock clock = Clock.systemUTC();

    private Builder(Path dataDir) {
      Objects.requireNonNull(dataDir, "dataDir");
      this.database = () -> ExampleDatabase.sqlite(dataDir.resolve("civic.db"));
    }

    /** Sets {@link CivicConfig#database()}. */
    public Builder database(Supplier<ExampleDatabase> database) {
      this.database = database;
      return this;
    }

    /** Sets {@link CivicConfig#host()}. */
    public Builder host(String host) {
      this.host = host;
      return this;
    }

    /** Sets {@link CivicConfig#port()}. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** Sets {@link CivicConfig#publicBaseUrl()}. */
    public Builder publicBaseUrl(String url) {
      this.publicBaseUrl = url;
      return this;
    }

    /** The SMTP server of verification emails. */
    public Builder smtp(String host, int port) {
      this.smtpHost = host;
      this.smtpPort = port;
      return this;
    }

    /** Sets {@link CivicConfig#mailFrom()}. */
    public Builder mailFrom(String from) {
      this.mailFrom = from;
      return this;
    }

    /** Sets {@link CivicConfig#smtpTimeout()}. */
    public Builder smtpTimeout(Duration timeout) {
      this.smtpTimeout = timeout;
      return this;
    }

    /** Sets {@link CivicConfig#smsSender()}. */
    public Builder smsSender(SmsSender sender) {
      this.smsSender = sender;
      return this;
    }

    /** False runs every task inside its request, as 001 did before (see {@link CivicConfig}). */
    public Builder background(boolean background) {
      this.background = background;
      return this;
    }

    /** Sets {@link CivicConfig#workers()}. */
    public Builder workers(int workers) {
      this.workers = workers;
      return this;
    }

    /** Sets {@link CivicConfig#laneThreads()}. */
    public Builder laneThreads(int threads) {
      this.laneThreads = threads;
      return this;
    }

    /** Attempts and first retry delay of verification email jobs. */
    public Builder emailRetries(int attempts, Duration backoff) {
      this.emailAttempts = attempts;
      this.emailBackoff = backoff;
      return this;
    }

    /** Attempts and first retry delay of OTP texts. */
    public Builder smsRetries(int attempts, Duration backoff) {
      this.smsAttempts = attempts;
      this.smsBackoff = backoff;
      return this;
    }

    /** Sets {@link CivicConfig#otpTtl()}. */
    public Builder otpTtl(Duration ttl) {
      this.otpTtl = ttl;
      return this;
    }

    /** Sets {@link CivicConfig#accessTokenTtl()}. */
    public Builder accessTokenTtl(Duration ttl) {
      this.accessTokenTtl = ttl;
      return this;
    }

    /** Sets {@link CivicConfig#emailTokenTtl()}. */
    public Builder emailTokenTtl(Duration ttl) {
      this.emailTokenTtl = ttl;
      return this;
    }

    /** Sets {@link CivicConfig#tokenCleanupInterval()}. */
    public Builder tokenCleanupInterval(Duration interval) {
      this.tokenCleanupInterval = interval;
      return this;
    }

    /** Sets {@link CivicConfig#reputationPerReport()}. */
    public Builder reputationPerReport(int points) {
      this.reputationPerReport = points;
      return this;
    }

    /** Sets {@link CivicConfig#clock()}. */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /**
     * The configuration.
     *
     * @throws IllegalArgumentException naming the first bad setting
     */
    public CivicConfig build() {
      return new CivicConfig(
          database,
          host,
          port,
          publicBaseUrl,
          smtpHost,
          smtpPort,
          mailFrom,
          smtpTimeout,
          smsSender,
          background,
          workers,
          laneThreads,
          emailAttempts,
          emailBackoff,
          smsAttempts,
          smsBackoff,
          otpTtl,
          accessTokenTtl,
          emailTokenTtl,
          tokenCleanupInterval,
          reputationPerReport,
          clock);
    }
  }
}
