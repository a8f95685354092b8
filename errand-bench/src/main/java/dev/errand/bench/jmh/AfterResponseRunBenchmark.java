package dev.errand.bench.jmh;

import dev.errand.AfterResponse;
import dev.errand.AfterResponseLane;
import dev.errand.RequestScope;
import dev.errand.Saturation;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What {@link AfterResponse#run} adds to a request on the request's thread: nanoseconds per call
 * and, with {@code -prof gc}, bytes allocated per call. The tasks are never run here except in
 * {@link #requestWithOneTaskHandedOver}, which also pays the hand-over to the lane.
 *
 * <pre>
 * java -cp errand-bench/target/errand-bench.jar org.openjdk.jmh.Main AfterResponseRunBenchmark -prof gc
 * java -jar errand-bench/target/errand-bench.jar jmh AfterResponseRunBenchmark -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AfterResponseRunBenchmark {
  private static final int TASKS = 16;

  private AfterResponseLane lane;
  private final Runnable task = () -> {};
  private int sink;

  @Setup(Level.Trial)
  public void startLane() {
    lane = AfterResponseLane.builder().saturation(Saturation.CALLER_RUNS).build();
  }

  @TearDown(Level.Trial)
  public void stopLane() {
    lane.shutdown();
  }

  /** Baseline: open a scope and bind it to the thread, as the filter does, with no task. */
  @Benchmark
  public RequestScope scopeOnly() {
    RequestScope scope = lane.openScope("req");
    try (RequestScope.Binding b = scope.bind()) {
      sink++;
    }
    return scope;
  }

  /** One call inside a bound scope (plus the scope, see {@link #scopeOnly} to subtract it). */
  @Benchmark
  public RequestScope oneRunInARequest() {
    RequestScope scope = lane.openScope("req");
    try (RequestScope.Binding b = scope.bind()) {
      AfterResponse.run("invalidate-cache", task);
    }
    return scope;
  }

  /** Sixteen calls in one request, reported per call. */
  @Benchmark
  @OperationsPerInvocation(TASKS)
  public RequestScope sixteenRunsInARequestPerCall() {
    RequestScope scope = lane.openScope("req");
    try (RequestScope.Binding b = scope.bind()) {
      for (int i = 0; i < TASKS; i++) {
        AfterResponse.run("broadcast", task);
      }
    }
    return scope;
  }

  /** A whole request's share: scope, one call, and the hand-over to the lane at completion. */
  @Benchmark
  public RequestScope requestWithOneTaskHandedOver() {
    RequestScope scope = lane.openScope("req");
    try (RequestScope.Binding b = scope.bind()) {
      AfterResponse.run("invalidate-cache", task);
    }
    scope.complete();
    return scope;
  }
}
