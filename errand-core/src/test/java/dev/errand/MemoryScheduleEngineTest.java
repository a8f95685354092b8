package dev.errand;

import dev.errand.spi.JobStore;
import java.time.Clock;

class MemoryScheduleEngineTest extends ScheduleEngineContract {
  private MemoryJobStore last;

  @Override
  protected JobStore newStore(Clock clock) {
    last = MemoryJobStore.create(clock);
    return last;
  }

  /** A memory store lives in one object: the "other node" shares it. */
  @Override
  protected JobStore sharedStore(Clock clock) {
    return last;
  }
}
