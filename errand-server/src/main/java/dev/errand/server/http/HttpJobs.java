package dev.errand.server.http;

import dev.errand.Backoff;
import dev.errand.JobType;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Builds the built-in {@code http} job type: each job makes one HTTP request ({@link HttpCall})
 * with the JDK {@link HttpClient}.
 *
 * <ul>
 *   <li>2xx: success; the status and a bounded body excerpt are the job's result ({@link
 *       HttpResult}).
 *   <li>Network errors (refused, reset, DNS, TLS), the per-call timeout, 5xx, 408 and 429: a failed
 *       attempt, retried. A {@code Retry-After} header on a 5xx, 408 or 429 answer (seconds or
 *       HTTP-date) decides the next attempt's delay instead of the backoff, up to {@link
 *       Builder#maxRetryAfter}.
 *   <li>Any other 4xx, and 3xx answers left after following redirects: a permanent failure, no
 *       retry.
 * </ul>
 *
 * Errors name the method, URL, status and body excerpt. Every request carries {@code Errand-Job-Id}
 * and {@code Errand-Attempt} headers (unless the payload sets them), so a receiver can recognise a
 * repeated delivery: delivery is at least once.
 */
public final class HttpJobs {
  /** The type name remote callers enqueue. */
  public static final String TYPE = "http";

  /** Body bytes kept in results and errors unless {@link Builder#excerptLimit} says otherwise. */
  public static final int DEFAULT_EXCERPT_LIMIT = 1024;

  /** The longest Retry-After honoured unless {@link Builder#maxRetryAfter} says otherwise. */
  public static final Duration DEFAULT_MAX_RETRY_AFTER = Duration.ofHours(1);

  /** Connect timeout of the default client. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private HttpJobs() {}

  /** A builder with every default: queue {@code default}, the core's attempts and backoff. */
  public static Builder builder() {
    return new Builder();
  }

  /** Options of the {@code http} type. Every setter validates its value. */
  public static final class Builder {
    private HttpClient client;
    private Clock clock = Clock.systemUTC();
    private int excerptLimit = DEFAULT_EXCERPT_LIMIT;
    private Duration maxRetryAfter = DEFAULT_MAX_RETRY_AFTER;
    private String queue = JobType.DEFAULT_QUEUE;
    private int maxAttempts = JobType.DEFAULT_MAX_ATTEMPTS;
    private Backoff backoff = JobType.DEFAULT_BACKOFF;
    private HostRule hosts = HostRule.of(java.util.List.of());

    private Builder() {}

    /**
     * The client to send with; by default one client per type, following redirects (not https to
     * http; none with {@link #allowedHosts}), connect timeout {@link #DEFAULT_CONNECT_TIMEOUT}, on
     * daemon threads {@code errand-http-N}.
     */
    public Builder client(HttpClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /** The clock an HTTP-date {@code Retry-After} is measured against; the engine's clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Response body bytes kept in the result and in errors, 0 to 1 MiB. */
    public Builder excerptLimit(int bytes) {
      if (bytes < 0 || bytes > 1 << 20) {
        throw new IllegalArgumentException(
            "http excerptLimit must be 0-1048576 bytes, got " + bytes);
      }
      this.excerptLimit = bytes;
      return this;
    }

    /** The longest delay a {@code Retry-After} may ask for; longer ones are cut to this. */
    public Builder maxRetryAfter(Duration max) {
      Objects.requireNonNull(max, "maxRetryAfter");
      if (max.isNegative()) {
        throw new IllegalArgumentException("http maxRetryAfter must not be negative, got " + max);
      }
      this.maxRetryAfter = max;
      return this;
    }

    /**
     * The only hosts {@code http} jobs may call: exact names or IP literals, or {@code *.domain}
     * for every subdomain; empty (the default) allows every host. A job for another host fails
     * permanently without a request. With a list, the default client does not follow redirects (a
     * redirect could lead anywhere), so a 3xx answer fails permanently too.
     *
     * @throws IllegalArgumentException naming an entry that is not a host, IP or {@code *.domain}
     */
    public Builder allowedHosts(java.util.List<String> hosts) {
      this.hosts = HostRule.of(Objects.requireNonNull(hosts, "hosts"));
      return this;
    }

    /** The queue {@code http} jobs run on. */
    public Builder queue(String queue) {
      this.queue = queue;
      return this;
    }

    /** Attempts before an {@code http} job is dead-lettered. */
    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** The wait between attempts when the server gives no {@code Retry-After}. */
    public Builder backoff(Backoff backoff) {
      this.backoff = Objects.requireNonNull(backoff, "backoff");
      return this;
    }

    /**
     * The job type, to register with {@code errand.register(...)}. Its jobs are interrupted after
     * their own {@link HttpCall#timeout()} plus the JDK client's clean-up; the type itself has no
     * engine timeout.
     *
     * @throws IllegalArgumentException if the queue name or attempts are not acceptable
     */
    public JobType<HttpCall> build() {
      HttpClient c = client != null ? client : defaultClient(hosts.allowsAll());
      return JobType.of(
              TYPE,
              HttpCall.class,
              new HttpCallHandler(c, clock, excerptLimit, maxRetryAfter, hosts))
          .queue(queue)
          .maxAttempts(maxAttempts)
          .backoff(backoff);
    }

    private static HttpClient defaultClient(boolean followRedirects) {
      AtomicInteger n = new AtomicInteger();
      ExecutorService executor =
          Executors.newCachedThreadPool(
              r -> {
                Thread t = new Thread(r, "errand-http-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
              });
      return HttpClient.newBuilder()
          .followRedirects(followRedirects ? HttpClient.Redirect.NORMAL : HttpClient.Redirect.NEVER)
          .connectTimeout(DEFAULT_CONNECT_TIMEOUT)
          .executor(executor)
          .build();
    }
  }
}
