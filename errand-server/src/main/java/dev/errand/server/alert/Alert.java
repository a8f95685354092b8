package dev.errand.server.alert;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One alert, as handed to every {@link AlertSink}. Immutable.
 *
 * @param kind what is wrong
 * @param key what the alert is about; alerts with the same key are deduplicated (one per
 *     cool-down), e.g. {@code job_dead:send-email} or {@code node_unhealthy:node-7}
 * @param text one human-readable line saying what happened and where to look
 * @param fields the same facts as name/value pairs, in a stable order, for machines
 * @param at when the alerter raised it (its clock)
 * @param suppressed alerts with this key held back during the cool-down before this one
 */
public record Alert(
    Kind kind, String key, String text, Map<String, String> fields, Instant at, int suppressed) {

  /** What an alert is about. */
  public enum Kind {
    /** A job was dead-lettered to FAILED (key: its type). */
    JOB_DEAD,
    /** A type's share of failed attempts over the window crossed the threshold (key: the type). */
    FAILURE_RATE,
    /** A node's heartbeat is older than the limit (key: the node id). */
    NODE_UNHEALTHY;

    /** The lower-case name used in keys, logs and webhook JSON, e.g. {@code job_dead}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public Alert {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(at, "at");
    fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }

  /** {@link #text} plus, if any were held back, how many. */
  public String summary() {
    return suppressed == 0
        ? text
        : text + " (" + suppressed + " more like this during the cool-down)";
  }
}
