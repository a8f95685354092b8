package dev.errand;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A stored job as its enqueuer follows it. Cheap to create; every read goes to the store. Final
 * states are noticed at once when this engine ran the job, and within the watch interval (200 ms by
 * default) when another node did.
 */
public final class JobHandle {
  private final Errand errand;
  private final long id;
  private final boolean created;

  JobHandle(Errand errand, long id, boolean created) {
    this.errand = errand;
    this.id = id;
    this.created = created;
  }

  /** The job's id. */
  public long id() {
    return id;
  }

  /** False if enqueue found a live job with the same unique key and returned it instead. */
  public boolean created() {
    return created;
  }

  /** The job as stored now; empty if it was deleted or pruned. */
  public Optional<Job> job() {
    return errand.job(id);
  }

  /**
   * The job's effective state now (see {@link Job#effectiveState}).
   *
   * @throws IllegalStateException if the job no longer exists
   */
  public JobState state() {
    Job j = job().orElseThrow(() -> new IllegalStateException("job " + id + " no longer exists"));
    return j.effectiveState(errand.clock().instant());
  }

  /** Completes with the job once it is final (SUCCEEDED, FAILED or CANCELLED). */
  public CompletableFuture<Job> future() {
    return errand.watch(id);
  }

  /**
   * Waits until the job is final and returns it.
   *
   * @throws TimeoutException if it is not final within {@code timeout}
   * @throws InterruptedException if the waiting thread is interrupted
   */
  public Job await(Duration timeout) throws TimeoutException, InterruptedException {
    try {
      return future().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException("watching job " + id + " failed", e.getCause());
    } catch (TimeoutException e) {
      TimeoutException t =
          new TimeoutException(
              "job "
                  + id
                  + " is not final after "
                  + timeout
                  + "; it is "
                  + job().map(Job::state).orElse(null));
      t.initCause(e);
      throw t;
    }
  }

  /**
   * Calls {@code callback} with the job once it SUCCEEDED, on the engine's event thread in this
   * JVM, whichever node ran it.
   */
  public JobHandle onSuccess(Consumer<Job> callback) {
    errand.whenFinal(
        id,
        j -> {
          if (j.state() == JobState.SUCCEEDED) {
            callback.accept(j);
          }
        });
    return this;
  }

  /**
   * Calls {@code callback} with the job once it FAILED for good (dead-lettered) or was CANCELLED,
   * on the engine's event thread in this JVM. {@link Job#lastError()} says why.
   */
  public JobHandle onFailure(Consumer<Job> callback) {
    errand.whenFinal(
        id,
        j -> {
          if (j.state() != JobState.SUCCEEDED) {
            callback.accept(j);
          }
        });
    return this;
  }

  @Override
  public String toString() {
    return "JobHandle[" + id + (created ? "" : ", existing") + "]";
  }
}
