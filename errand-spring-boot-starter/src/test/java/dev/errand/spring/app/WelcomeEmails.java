package dev.errand.spring.app;

import dev.errand.JobContext;
import dev.errand.JobType;
import dev.errand.spring.ErrandJobHandler;

/** A handler bean registered by interface. */
public class WelcomeEmails implements ErrandJobHandler<Welcome> {
  private final Ran ran;

  public WelcomeEmails(Ran ran) {
    this.ran = ran;
  }

  @Override
  public String typeName() {
    return "welcome-email";
  }

  @Override
  public Class<Welcome> payloadClass() {
    return Welcome.class;
  }

  @Override
  public JobType<Welcome> configure(JobType<Welcome> type) {
    return type.maxAttempts(5);
  }

  @Override
  public void handle(JobContext ctx, Welcome payload) {
    ran.welcomed.add(payload.name());
  }
}
