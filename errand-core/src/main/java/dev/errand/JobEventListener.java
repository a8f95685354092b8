package dev.errand;

/**
 * Receives job events. Called on the engine's single event thread: keep it quick and never block;
 * exceptions are logged and ignored.
 */
@FunctionalInterface
public interface JobEventListener {
  /** Called once per event, in the order this engine saw them. */
  void onEvent(JobEvent event);
}
