package dev.errand;

import dev.errand.spi.JobStore;

class MemoryEngineTest extends EngineContract {
  private MemoryJobStore last;

  @Override
  protected JobStore newStore() {
    last = MemoryJobStore.create();
    return last;
  }

  /** A memory store lives in one object: engines on "one database" share it. */
  @Override
  protected JobStore sharedStore() {
    return last;
  }
}
