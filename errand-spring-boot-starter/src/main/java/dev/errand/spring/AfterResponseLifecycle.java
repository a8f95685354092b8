package dev.errand.spring;

import dev.errand.AfterResponse;
import dev.errand.AfterResponseLane;
import dev.errand.ShutdownReport;
import org.springframework.context.SmartLifecycle;

/**
 * Installs the lane for {@code AfterResponse.run} calls outside requests when the context starts
 * (unless another lane is installed), and shuts it down when the context stops: queued and running
 * tasks get {@code errand.after-response.shutdown-grace}, then what did not run is logged.
 *
 * <p>Phase {@link #PHASE}: it stops after the web server has drained its requests (so their tasks
 * have been handed over) and before the engine stops (so tasks can still enqueue jobs).
 */
final class AfterResponseLifecycle implements SmartLifecycle {
  /** Between the web server's lifecycles and the engine's. */
  static final int PHASE = ErrandLifecycle.PHASE + 1024;

  private final AfterResponseLane lane;
  private volatile boolean running;
  private volatile ShutdownReport report;

  AfterResponseLifecycle(AfterResponseLane lane) {
    this.lane = lane;
  }

  @Override
  public void start() {
    AfterResponse.installIfAbsent(lane);
    running = true;
  }

  @Override
  public void stop() {
    running = false;
    report = lane.shutdown();
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }

  /** What the lane's shutdown reported, or null before it stopped (for tests). */
  ShutdownReport report() {
    return report;
  }
}
