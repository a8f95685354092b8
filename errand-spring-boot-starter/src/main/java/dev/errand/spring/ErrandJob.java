package dev.errand.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Makes a method of a Spring bean the handler of a job type. The starter registers the type before
 * the engine starts. The method takes the payload and, optionally, a {@link dev.errand.JobContext},
 * in either order; its return value is ignored. It is called through the bean (its proxy, if any),
 * so {@code @Transactional} on the method works.
 *
 * <pre>{@code
 * @Component
 * class Reports {
 *   @ErrandJob(name = "render-report", queue = "reports", maxAttempts = 3, timeout = "2m")
 *   void render(ReportRequest request, JobContext ctx) { ... }
 * }
 * }</pre>
 *
 * <p>Throwing fails the attempt (retried with backoff); throwing {@link
 * dev.errand.PermanentFailure} or one of {@link #permanentOn()} fails the job at once. Startup
 * fails, naming the bean and method, if the signature or an attribute is not acceptable.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface ErrandJob {
  /** The job type's name (1-100 letters, digits or {@code _ . : -}). */
  String name();

  /** The queue its jobs run on; {@code ""} means {@link dev.errand.JobType#DEFAULT_QUEUE}. */
  String queue() default "";

  /**
   * Attempts before the job is dead-lettered; 0 means {@link
   * dev.errand.JobType#DEFAULT_MAX_ATTEMPTS}.
   */
  int maxAttempts() default 0;

  /** Default priority of its jobs; higher runs first. */
  int priority() default 0;

  /** Interrupts an attempt running longer than this (e.g. {@code "30s"}); {@code ""} means none. */
  String timeout() default "";

  /**
   * Base of the exponential backoff between attempts (e.g. {@code "5s"} gives 5 s, 10 s, 20 s …,
   * capped at 1 h); {@code ""} means {@link dev.errand.JobType#DEFAULT_BACKOFF}.
   */
  String backoff() default "";

  /** Exceptions that fail the job at once instead of being retried. */
  Class<? extends Throwable>[] permanentOn() default {};
}
