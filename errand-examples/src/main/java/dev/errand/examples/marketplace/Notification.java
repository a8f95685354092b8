package dev.errand.examples.marketplace;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One live update for a browser: an event name of seed 000 ({@code newTask}, {@code taskAccepted},
 * {@code taskRemoved}, {@code taskStatusChanged}, {@code taskCancelled}, {@code taskUpdated},
 * {@code taskCompleted}, {@code userUpdated}, {@code adminStatsRefresh}) and its JSON data.
 *
 * @param event the SSE event name
 * @param data the JSON object sent as the event's data; its order is kept and null values are sent
 */
public record Notification(String event, Map<String, Object> data) {
  public Notification {
    Objects.requireNonNull(event, "event");
    data = Collections.unmodifiableMap(new LinkedHashMap<>(data));
  }
}
