package dev.errand.examples.bugtracker;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A channel whose first {@code failures} sends throw; records the sends that went through. */
final class FlakyChannel implements NotificationChannel {
  private final int failures;
  private final AtomicInteger calls = new AtomicInteger();
  final List<Notification> delivered = new CopyOnWriteArrayList<>();

  FlakyChannel(int failures) {
    this.failures = failures;
  }

  static FlakyChannel alwaysFailing() {
    return new FlakyChannel(Integer.MAX_VALUE);
  }

  @Override
  public String name() {
    return "flaky";
  }

  @Override
  public void send(Notification n) throws IOException {
    if (calls.incrementAndGet() <= failures) {
      throw new IOException("channel down (call " + calls.get() + ")");
    }
    delivered.add(n);
  }

  int calls() {
    return calls.get();
  }
}
