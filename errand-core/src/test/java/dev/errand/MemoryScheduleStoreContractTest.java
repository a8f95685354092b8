package dev.errand;

import dev.errand.spi.JobStore;

class MemoryScheduleStoreContractTest extends ScheduleStoreContract {
  private MemoryJobStore last;

  @Override
  protected JobStore newStore() {
    last = MemoryJobStore.create();
    return last;
  }

  /** A memory store lives in one object: the "second node" shares it. */
  @Override
  protected JobStore secondStore() {
    return last;
  }
}
