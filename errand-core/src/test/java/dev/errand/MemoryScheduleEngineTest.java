package dev.errand;

import dev.errand.spi.JobStore;
import java.time.Clock;

class MemoryScheduleEngineTest extends ScheduleEngineContract {
  @Override
  protected JobStore newStore(Clock clock) {
    return MemoryJobStore.create(clock);
  }
}
