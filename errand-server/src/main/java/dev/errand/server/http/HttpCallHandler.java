package dev.errand.server.http;

import dev.errand.JobContext;
import dev.errand.JobHandler;
import dev.errand.PermanentFailure;
import dev.errand.RetryAfter;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs one attempt of an {@code http} job (see {@link HttpJobs} for the outcome rules). */
final class HttpCallHandler implements JobHandler<HttpCall> {
  private final HttpClient client;
  private final Clock clock;
  private final int excerptLimit;
  private final Duration maxRetryAfter;
  private final HostRule hosts;

  HttpCallHandler(
      HttpClient client, Clock clock, int excerptLimit, Duration maxRetryAfter, HostRule hosts) {
    this.client = client;
    this.clock = clock;
    this.excerptLimit = excerptLimit;
    this.maxRetryAfter = maxRetryAfter;
    this.hosts = hosts;
  }

  @Override
  public void handle(JobContext ctx, HttpCall call) throws Exception {
    String what = call.method() + " " + call.url();
    if (!hosts.allows(call.uri().getHost())) {
      throw new PermanentFailure(
          what
              + " was not sent: host '"
              + call.uri().getHost()
              + "' is not one of the"
              + " allowed hosts "
              + hosts
              + " (ERRAND_HTTP_ALLOWED_HOSTS)");
    }
    HttpResponse<Excerpt> response = send(request(ctx, call), call.timeout(), what);
    int status = response.statusCode();
    Excerpt body = response.body();
    if (status >= 200 && status < 300) {
      ctx.result(new HttpResult(status, body.text(), body.truncated()));
      return;
    }
    String message =
        what
            + " answered "
            + status
            + (body.text().isEmpty() ? "" : ": " + body.text() + (body.truncated() ? "…" : ""));
    HttpStatusException failure = new HttpStatusException(message, status, body.text());
    if (status >= 500 || status == 429 || status == 408) {
      Optional<String> header = response.headers().firstValue("Retry-After");
      Optional<Duration> delay = header.flatMap(h -> RetryAfterHeader.parse(h, clock));
      if (delay.isPresent()) {
        Duration d = delay.get().compareTo(maxRetryAfter) > 0 ? maxRetryAfter : delay.get();
        throw new RetryAfter(
            d,
            message + " (Retry-After: " + header.get() + ", next attempt in " + d + ")",
            failure);
      }
      throw failure;
    }
    throw new PermanentFailure(message, failure);
  }

  private HttpRequest request(JobContext ctx, HttpCall call) {
    HttpRequest.BodyPublisher publisher =
        call.body() == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(call.body());
    HttpRequest.Builder b =
        HttpRequest.newBuilder(call.uri()).method(call.method(), publisher).timeout(call.timeout());
    boolean jobId = false;
    boolean attempt = false;
    for (Map.Entry<String, String> h : call.headers().entrySet()) {
      b.header(h.getKey(), h.getValue());
      jobId |= h.getKey().equalsIgnoreCase("Errand-Job-Id");
      attempt |= h.getKey().equalsIgnoreCase("Errand-Attempt");
    }
    if (!jobId) {
      b.header("Errand-Job-Id", Long.toString(ctx.jobId()));
    }
    if (!attempt) {
      b.header("Errand-Attempt", Integer.toString(ctx.attempt()));
    }
    return b.build();
  }

  /** Sends and reads the body excerpt within {@code timeout} in all, connect to last byte. */
  private HttpResponse<Excerpt> send(HttpRequest request, Duration timeout, String what)
      throws IOException, InterruptedException {
    CompletableFuture<HttpResponse<Excerpt>> f =
        client.sendAsync(request, info -> Excerpt.subscriber(excerptLimit));
    try {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      throw new HttpTimeoutException(what + " timed out after " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      f.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      String detail = cause.getMessage() == null ? "" : ": " + cause.getMessage();
      if (cause instanceof HttpTimeoutException) {
        throw new HttpTimeoutException(what + " timed out after " + timeout.toMillis() + " ms");
      }
      throw new IOException(what + " failed: " + cause.getClass().getName() + detail, cause);
    }
  }
}
