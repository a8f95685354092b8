package dev.errand.examples.recurring;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.errand.Backoff;
import dev.errand.Enqueue;
import dev.errand.Errand;
import dev.errand.JobContext;
import dev.errand.JobHandle;
import dev.errand.JobType;
import dev.errand.PermanentFailure;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.sql.Connection;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * 003's "Worker Trigger" as a durable Errand job: {@code POST /internal/worker/tasks/recurrence}
 * with the internal API key, retried with exponential backoff (3 attempts, 500 ms then 1 s by
 * default) and given up on without touching the request that triggered it. The job is enqueued in
 * the same transaction as the task change, so a saved task always gets its trigger and a rolled
 * back one never does.
 *
 * <p>Outcomes: 2xx succeeds; 408, 429, 5xx, timeouts and connection errors are transient and
 * retried; any other 4xx (a missing or unsuitable task, a wrong key) is permanent: logged and
 * skipped, the job goes to FAILED at once. Every failed attempt is logged as 003's structured error
 * (service, operation, taskId, userId, error, originalError, retryAttempt, maxRetries).
 */
final class WorkerTrigger {
  private static final Logger log = LoggerFactory.getLogger(WorkerTrigger.class);
  static final String TYPE = "tasks.recurrence-trigger";

  /** Counter of trigger calls that timed out. */
  static final String TIMEOUTS = "tasks.trigger.timeouts";

  /** The payload: what to process. */
  record Request(String taskId, String operation, String userId) {}

  private final ObjectMapper mapper;
  private final HttpClient http;
  private final Supplier<String> baseUrl;
  private final String apiKey;
  private final Duration timeout;
  private final Counter timeouts;
  private final JobType<Request> type;

  WorkerTrigger(
      Errand errand,
      ObjectMapper mapper,
      Supplier<String> baseUrl,
      String apiKey,
      int attempts,
      Duration retryDelay,
      Duration timeout) {
    this.mapper = mapper;
    this.baseUrl = baseUrl;
    this.apiKey = apiKey;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    this.timeouts = Counter.builder(TIMEOUTS).register(errand.meterRegistry());
    this.type =
        errand.register(
            JobType.of(TYPE, Request.class, this::call)
                .queue(RecurringTasksApp.QUEUE)
                .maxAttempts(attempts)
                .backoff(Backoff.exponential(retryDelay))
                .timeout(timeout.plusSeconds(5)));
  }

  JobType<Request> type() {
    return type;
  }

  /** Enqueues a trigger inside the caller's transaction. */
  JobHandle enqueue(Errand errand, Connection c, long taskId, String operation, String userId) {
    return errand.enqueue(
        c,
        type,
        new Request(String.valueOf(taskId), operation, userId),
        Enqueue.now().tags("task:" + taskId, operation));
  }

  private void call(JobContext ctx, Request r) throws Exception {
    String body = mapper.writeValueAsString(r);
    HttpRequest.Builder req =
        HttpRequest.newBuilder(URI.create(baseUrl.get() + "/internal/worker/tasks/recurrence"))
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (apiKey != null) {
      req.header(InternalApi.KEY_HEADER, apiKey);
    }
    HttpResponse<String> res;
    try {
      res = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    } catch (HttpTimeoutException e) {
      timeouts.increment();
      logFailure(ctx, r, "timeout after " + timeout.toMillis() + " ms", e.toString());
      throw e;
    } catch (IOException e) {
      logFailure(ctx, r, "internal API unreachable", e.toString());
      throw e;
    }
    int status = res.statusCode();
    if (status / 100 == 2) {
      ctx.result(new Outcome(status, r.operation()));
      return;
    }
    logFailure(ctx, r, "internal API answered " + status, res.body());
    if (status == 408 || status == 429 || status >= 500) {
      throw new IOException("internal API answered " + status + ": " + res.body());
    }
    throw new PermanentFailure(
        "internal API refused "
            + r.operation()
            + " of task "
            + r.taskId()
            + " with "
            + status
            + ": "
            + res.body());
  }

  /** The small result kept with a succeeded trigger. */
  record Outcome(int status, String operation) {}

  private static void logFailure(JobContext ctx, Request r, String error, String originalError) {
    LoggingEventBuilder e =
        log.atError()
            .addKeyValue("service", "TasksWorker")
            .addKeyValue("operation", operationName(r.operation()))
            .addKeyValue("taskId", r.taskId())
            .addKeyValue("userId", r.userId())
            .addKeyValue("error", error)
            .addKeyValue("originalError", originalError)
            .addKeyValue("retryAttempt", ctx.attempt())
            .addKeyValue("maxRetries", ctx.maxAttempts());
    e.log(
        "WorkerTrigger: {} of task {} failed (attempt {} of {}): {}",
        r.operation(),
        r.taskId(),
        ctx.attempt(),
        ctx.maxAttempts(),
        error);
  }

  static String operationName(String operation) {
    return switch (operation) {
      case "create" -> "processTaskCreation";
      case "complete" -> "processTaskCompletion";
      case "delete" -> "processTaskDeletion";
      default -> operation;
    };
  }
}
