package dev.errand.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.errand.Attempt;
import dev.errand.AttemptError;
import dev.errand.Job;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The API's JSON: one mapper (ISO instants, nesting limited), request bodies read as trees, and
 * jobs rendered with their payload and result embedded and configured fields redacted.
 */
final class Json {
  static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  static {
    MAPPER
        .getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder()
                .maxNestingDepth(100)
                .maxStringLength(20_000_000)
                .build());
  }

  private final Set<String> redacted;

  Json(Set<String> redacted) {
    this.redacted = redacted;
  }

  static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("response could not be written as JSON", e);
    }
  }

  /**
   * Parses a request body.
   *
   * @throws ApiException invalid_json naming the line and column
   */
  static JsonNode parse(byte[] body) {
    if (body.length == 0) {
      throw ApiException.badRequest(
          "invalid_json", "the request body is empty; send a JSON object");
    }
    try {
      JsonNode n = MAPPER.readTree(body);
      if (n == null || n.isMissingNode()) {
        throw ApiException.badRequest(
            "invalid_json", "the request body is empty; send a JSON object");
      }
      return n;
    } catch (JsonProcessingException e) {
      String where =
          e.getLocation() == null
              ? ""
              : " at line "
                  + e.getLocation().getLineNr()
                  + ", column "
                  + e.getLocation().getColumnNr();
      throw ApiException.badRequest(
          "invalid_json",
          "the request body is not valid JSON" + where + ": " + e.getOriginalMessage());
    } catch (java.io.IOException e) {
      throw ApiException.badRequest(
          "invalid_json", "the request body could not be read: " + e.getMessage());
    }
  }

  /**
   * A stored JSON text as a tree with redacted fields replaced, or the text itself if it is not
   * JSON.
   */
  Object embed(String json) {
    if (json == null) {
      return null;
    }
    try {
      JsonNode n = MAPPER.readTree(json);
      return redact(n);
    } catch (JsonProcessingException e) {
      return json;
    }
  }

  JsonNode redact(JsonNode n) {
    if (redacted.isEmpty() || n == null) {
      return n;
    }
    if (n instanceof ObjectNode o) {
      Iterator<Map.Entry<String, JsonNode>> it = o.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (redacted.contains(e.getKey())) {
          e.setValue(o.textNode(WebConfig.REDACTED));
        } else {
          redact(e.getValue());
        }
      }
    } else if (n instanceof ArrayNode a) {
      a.forEach(this::redact);
    }
    return n;
  }

  /** A job for the API: every field, payload and result embedded, errors oldest first. */
  Map<String, Object> job(Job j, Instant now) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", j.id());
    m.put("type", j.type());
    m.put("queue", j.queue());
    m.put("state", j.effectiveState(now).name());
    m.put("storedState", j.state().name());
    m.put("priority", j.priority());
    m.put("attempt", j.attempt());
    m.put("maxAttempts", j.maxAttempts());
    m.put("runAt", j.runAt());
    m.put("uniqueKey", j.uniqueKey());
    m.put("tags", j.tags().stream().sorted().toList());
    m.put("scheduleId", j.scheduleId());
    m.put("nodeId", j.nodeId());
    m.put("leaseUntil", j.leaseUntil());
    m.put("createdAt", j.createdAt());
    m.put("startedAt", j.startedAt());
    m.put("finishedAt", j.finishedAt());
    m.put("progress", j.progress());
    m.put("lastError", j.lastError());
    m.put("rescues", j.rescues());
    m.put("payload", embed(j.payload()));
    m.put("result", embed(j.result()));
    m.put("errors", errors(j.errors()));
    m.put("attempts", attempts(j.attempts()));
    return m;
  }

  /**
   * Every attempt, oldest first, with its duration in milliseconds (null when unknown). The failed
   * ones come first, in the order of {@code errors}, which holds their stack traces.
   */
  private static List<Map<String, Object>> attempts(List<Attempt> attempts) {
    return attempts.stream()
        .map(
            a -> {
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("attempt", a.number());
              m.put("outcome", a.outcome().name());
              m.put("startedAt", a.startedAt());
              m.put("finishedAt", a.finishedAt());
              m.put("durationMs", millis(a.duration()));
              m.put("kind", a.error() == null ? null : a.error().kind());
              m.put("message", a.error() == null ? null : a.error().message());
              return m;
            })
        .toList();
  }

  /** A duration in milliseconds with microsecond digits, or null. */
  private static Double millis(Duration d) {
    return d == null ? null : d.toNanos() / 1_000 / 1_000.0;
  }

  private static List<Map<String, Object>> errors(List<AttemptError> errors) {
    return errors.stream()
        .map(
            e -> {
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("attempt", e.attempt());
              m.put("startedAt", e.startedAt());
              m.put("at", e.at());
              m.put("kind", e.kind());
              m.put("message", e.message());
              m.put("stackTrace", e.stackTrace());
              return m;
            })
        .toList();
  }

  static Map<String, Object> error(String code, String message) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("code", code);
    e.put("message", message);
    return Map.of("error", e);
  }
}
