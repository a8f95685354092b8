package dev.errand;

/**
 * Receives job events. Called on the engine's single event thread: keep it quick and never block;
 * exceptions are logged and ignored.
 */
@FunctionalInterface
public interface JobEventListener {
  void onEvent(JobEvent event);
}
