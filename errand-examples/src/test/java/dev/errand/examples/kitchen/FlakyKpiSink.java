package dev.errand.examples.kitchen;

import java.io.IOException;
import java.sql.Connection;
import java.util.concurrent.atomic.AtomicInteger;

/** A KPI sink that fails its next {@code failures} calls, then records into the table. */
final class FlakyKpiSink implements KpiSink {
  private final AtomicInteger failuresLeft;
  private final AtomicInteger calls = new AtomicInteger();

  FlakyKpiSink(int failures) {
    this.failuresLeft = new AtomicInteger(failures);
  }

  /** Makes the sink work from now on (the operator fixed the KPI service). */
  void fix() {
    failuresLeft.set(0);
  }

  int calls() {
    return calls.get();
  }

  @Override
  public void record(Connection connection, Entry entry) throws Exception {
    calls.incrementAndGet();
    if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new IOException("KPI service unavailable");
    }
    KpiSink.table().record(connection, entry);
  }
}
