package dev.errand.spring.app;

import dev.errand.JobContext;
import dev.errand.spring.ErrandJob;

/** A handler registered by annotation. */
public class Reports {
  private final Ran ran;

  public Reports(Ran ran) {
    this.ran = ran;
  }

  @ErrandJob(name = "render-report", queue = "reports", maxAttempts = 3, timeout = "30s")
  void render(JobContext ctx, Report report) {
    ran.reports.add(report);
  }
}
