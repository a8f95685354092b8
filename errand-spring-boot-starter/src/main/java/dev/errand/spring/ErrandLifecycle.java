package dev.errand.spring;

import dev.errand.Errand;
import org.springframework.context.SmartLifecycle;

/**
 * Starts the {@link Errand} bean when the context has refreshed (every handler bean is registered
 * by then) and stops it gracefully when the context closes: no new claims, running jobs get {@code
 * errand.shutdown-grace} to finish, the rest are interrupted and released to other nodes.
 *
 * <p>Phase {@link #PHASE}: below the web server's, so the engine starts before the server takes
 * requests and stops only after the server has drained them (requests may still enqueue while the
 * server shuts down gracefully). An engine the application started itself is left running until the
 * context stops.
 */
final class ErrandLifecycle implements SmartLifecycle {
  /** Starts before and stops after Spring Boot's web server lifecycles. */
  static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

  private final Errand errand;
  private volatile boolean running;

  ErrandLifecycle(Errand errand) {
    this.errand = errand;
  }

  @Override
  public void start() {
    if (errand.lifecycle() == Errand.Lifecycle.NEW) {
      errand.start();
    }
    running = true;
  }

  @Override
  public void stop() {
    running = false;
    errand.close();
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }
}
