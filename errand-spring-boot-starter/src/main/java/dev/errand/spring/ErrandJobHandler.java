package dev.errand.spring;

import dev.errand.JobHandler;
import dev.errand.JobType;

/**
 * A Spring bean that handles one job type. The starter registers every bean of this type with the
 * engine before the engine starts, as {@code JobType.of(typeName(), payloadClass(), this)} passed
 * through {@link #configure}. Enqueue its jobs with {@link JobEnqueuer#enqueue(String, Object)} or
 * with the registered type from {@code errand.type(name)}.
 *
 * <pre>{@code
 * @Component
 * class SendWelcomeEmail implements ErrandJobHandler<Welcome> {
 *   public String typeName() { return "send-welcome-email"; }
 *   public Class<Welcome> payloadClass() { return Welcome.class; }
 *   public JobType<Welcome> configure(JobType<Welcome> type) { return type.queue("email").maxAttempts(5); }
 *   public void handle(JobContext ctx, Welcome w) { mailer.send(w.to(), "Welcome"); }
 * }
 * }</pre>
 *
 * <p>{@link #handle} is called on an Errand worker thread, once per attempt, with at-least-once
 * delivery (see {@link JobHandler}).
 *
 * @param <T> the payload type, usually a record mapped to JSON
 */
public interface ErrandJobHandler<T> extends JobHandler<T> {
  /** The job type's name, as stored with its jobs; never rename a type that has stored jobs. */
  String typeName();

  /** The payload class jobs are mapped to and from. */
  Class<T> payloadClass();

  /** Sets the type's options (queue, max attempts, backoff, timeout…); unchanged by default. */
  default JobType<T> configure(JobType<T> type) {
    return type;
  }
}
