package dev.errand.spi;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * A validated job about to be stored. Built by the engine; stores only write it.
 *
 * @param type registered type name
 * @param queue queue name
 * @param payload payload JSON, already checked to map to the type's payload class
 * @param priority higher runs first
 * @param maxAttempts at least 1
 * @param runAt when it becomes due; a job due now is stored QUEUED, a later one SCHEDULED
 * @param uniqueKey null for none
 * @param tags labels without commas
 * @param scheduleId the schedule that created it, or null
 */
public record NewJob(
    String type,
    String queue,
    String payload,
    int priority,
    int maxAttempts,
    Instant runAt,
    String uniqueKey,
    Set<String> tags,
    String scheduleId) {
  public NewJob {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(payload, "payload");
    Objects.requireNonNull(runAt, "runAt");
    tags = tags == null ? Set.of() : tags;
  }
}
