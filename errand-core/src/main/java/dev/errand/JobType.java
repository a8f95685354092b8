package dev.errand;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A named kind of job: its payload class, its handler and its options. Immutable; every {@code
 * with}-style method returns a changed copy. Register it with {@link Errand#register} before
 * enqueueing.
 *
 * <pre>{@code
 * JobType<Email> sendEmail = errand.register(
 *     JobType.of("send-email", Email.class, (ctx, email) -> mailer.send(email))
 *         .queue("email").maxAttempts(5).backoff(Backoff.exponential(Duration.ofSeconds(2))));
 * }</pre>
 *
 * <p>The name, not the class, identifies the type in storage: rename classes freely, never the name
 * of a type that has stored jobs.
 *
 * @param <T> the payload type, usually a record that Jackson maps to and from JSON
 */
public final class JobType<T> {
  /** Queue a type runs on unless {@link #queue} says otherwise. */
  public static final String DEFAULT_QUEUE = "default";

  /** Attempts before a job is dead-lettered, unless {@link #maxAttempts} says otherwise. */
  public static final int DEFAULT_MAX_ATTEMPTS = 20;

  /** Backoff between attempts unless {@link #backoff} says otherwise: 2 s, 4 s, 8 s … ≤ 1 h. */
  public static final Backoff DEFAULT_BACKOFF = Backoff.exponential(Duration.ofSeconds(2));

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:\\-]{0,99}");

  private final String name;
  private final Class<T> payloadClass;
  private final JobHandler<T> handler;
  private final String queue;
  private final int priority;
  private final int maxAttempts;
  private final Backoff backoff;
  private final Duration timeout;
  private final List<Class<? extends Throwable>> permanentOn;

  private JobType(
      String name,
      Class<T> payloadClass,
      JobHandler<T> handler,
      String queue,
      int priority,
      int maxAttempts,
      Backoff backoff,
      Duration timeout,
      List<Class<? extends Throwable>> permanentOn) {
    this.name = name;
    this.payloadClass = payloadClass;
    this.handler = handler;
    this.queue = queue;
    this.priority = priority;
    this.maxAttempts = maxAttempts;
    this.backoff = backoff;
    this.timeout = timeout;
    this.permanentOn = List.copyOf(permanentOn);
  }

  /**
   * A job type with default options: queue {@value #DEFAULT_QUEUE}, priority 0, {@value
   * #DEFAULT_MAX_ATTEMPTS} attempts, {@link #DEFAULT_BACKOFF}, no timeout.
   *
   * @param name 1–100 characters of letters, digits, {@code _ . : -}, starting with a letter or
   *     digit
   * @throws IllegalArgumentException if the name is not acceptable
   */
  public static <T> JobType<T> of(String name, Class<T> payloadClass, JobHandler<T> handler) {
    requireName("job type name", name);
    Objects.requireNonNull(payloadClass, "payloadClass");
    Objects.requireNonNull(handler, "handler");
    return new JobType<>(
        name,
        payloadClass,
        handler,
        DEFAULT_QUEUE,
        0,
        DEFAULT_MAX_ATTEMPTS,
        DEFAULT_BACKOFF,
        null,
        List.of());
  }

  /** Runs this type's jobs on {@code queue}; same naming rules as type names. */
  public JobType<T> queue(String queue) {
    requireName("queue name", queue);
    return new JobType<>(
        name, payloadClass, handler, queue, priority, maxAttempts, backoff, timeout, permanentOn);
  }

  /** Default priority of this type's jobs; higher runs first. */
  public JobType<T> priority(int priority) {
    return new JobType<>(
        name, payloadClass, handler, queue, priority, maxAttempts, backoff, timeout, permanentOn);
  }

  /**
   * Attempts before a job is dead-lettered to FAILED.
   *
   * @throws IllegalArgumentException if below 1
   */
  public JobType<T> maxAttempts(int maxAttempts) {
    requireMaxAttempts(maxAttempts);
    return new JobType<>(
        name, payloadClass, handler, queue, priority, maxAttempts, backoff, timeout, permanentOn);
  }

  /** Waits between attempts; {@link #DEFAULT_BACKOFF} unless set. */
  public JobType<T> backoff(Backoff backoff) {
    Objects.requireNonNull(backoff, "backoff");
    return new JobType<>(
        name, payloadClass, handler, queue, priority, maxAttempts, backoff, timeout, permanentOn);
  }

  /**
   * Interrupts an attempt that runs longer than {@code timeout}; the attempt counts as failed and
   * is retried with backoff.
   *
   * @throws IllegalArgumentException if not positive
   */
  public JobType<T> timeout(Duration timeout) {
    Backoff.requirePositive("timeout", timeout);
    return new JobType<>(
        name, payloadClass, handler, queue, priority, maxAttempts, backoff, timeout, permanentOn);
  }

  /** Exceptions (and their subclasses) that fail a job at once, like {@link PermanentFailure}. */
  @SafeVarargs
  public final JobType<T> permanentOn(Class<? extends Throwable>... exceptionClasses) {
    List<Class<? extends Throwable>> all = new ArrayList<>(permanentOn);
    for (Class<? extends Throwable> c : exceptionClasses) {
      all.add(Objects.requireNonNull(c, "exception class"));
    }
    return new JobType<>(
        name, payloadClass, handler, queue, priority, maxAttempts, backoff, timeout, all);
  }

  /** The type's name, as stored with its jobs. */
  public String name() {
    return name;
  }

  /** The payload class jobs are mapped to and from. */
  public Class<T> payloadClass() {
    return payloadClass;
  }

  /** The handler that runs attempts. */
  public JobHandler<T> handler() {
    return handler;
  }

  /** The queue jobs of this type run on unless an enqueue overrides it. */
  public String queue() {
    return queue;
  }

  /** The priority jobs of this type get unless an enqueue overrides it. */
  public int priority() {
    return priority;
  }

  /** Attempts allowed unless an enqueue overrides it. */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** The backoff between attempts. */
  public Backoff backoff() {
    return backoff;
  }

  /** The attempt timeout, or null for none. */
  public Duration timeout() {
    return timeout;
  }

  /** Exception classes that fail a job at once. */
  public List<Class<? extends Throwable>> permanentOn() {
    return permanentOn;
  }

  /**
   * True if {@code error} fails the job without retry under this type's rules. A {@link RetryAfter}
   * never does.
   */
  public boolean isPermanent(Throwable error) {
    if (error instanceof PermanentFailure) {
      return true;
    }
    if (error instanceof RetryAfter) {
      return false;
    }
    for (Class<? extends Throwable> c : permanentOn) {
      if (c.isInstance(error)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "JobType["
        + name
        + ", payload="
        + payloadClass.getSimpleName()
        + ", queue="
        + queue
        + ", maxAttempts="
        + maxAttempts
        + ", backoff="
        + backoff
        + ", timeout="
        + timeout
        + "]";
  }

  static void requireName(String what, String value) {
    if (value == null || !NAME.matcher(value).matches()) {
      throw new IllegalArgumentException(
          what
              + " '"
              + value
              + "' is not valid: use 1-100 letters, digits or _ . : - starting with"
              + " a letter or digit");
    }
  }

  static void requireMaxAttempts(int maxAttempts) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
    }
  }
}
