package dev.errand;

import dev.errand.spi.JobStore;

class MemoryJobStoreContractTest extends JobStoreContract {
  @Override
  protected JobStore newStore() {
    return MemoryJobStore.create();
  }
}
