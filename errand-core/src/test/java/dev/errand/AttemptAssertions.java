package dev.errand;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Assertions about {@link Job#attempts()} shared by the store and engine suites. */
public final class AttemptAssertions {
  private AttemptAssertions() {}

  /**
   * Every attempt has a start and an end, starts no later than it ends, has their difference as its
   * duration, and starts no earlier than the previous attempt ended. Says nothing about how long
   * anything took.
   */
  public static void assertTimedInOrder(List<Attempt> attempts) {
    Instant previousEnd = null;
    for (Attempt a : attempts) {
      assertThat(a.startedAt()).as("attempt %s start", a.number()).isNotNull();
      assertThat(a.finishedAt()).as("attempt %s end", a.number()).isNotNull();
      assertThat(a.startedAt()).as("attempt %s", a.number()).isBeforeOrEqualTo(a.finishedAt());
      assertThat(a.duration()).isEqualTo(Duration.between(a.startedAt(), a.finishedAt()));
      if (previousEnd != null) {
        assertThat(a.startedAt()).as("attempt %s", a.number()).isAfterOrEqualTo(previousEnd);
      }
      previousEnd = a.finishedAt();
    }
  }
}
