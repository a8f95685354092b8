package dev.errand.spi;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.errand.AttemptError;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * How stores write the error history and tags into columns, so every store reads what the others
 * wrote. Errors are a JSON array of {@link AttemptError} objects, {@code {"attempt": 2,
 * "startedAt": "2026-01-01T10:00:00.000123Z", "at": "…", "kind": "error", "message": "…",
 * "stackTrace": "…"}}, instants as ISO-8601 in UTC. Reading is lenient both ways: an error written
 * before Errand recorded {@code startedAt} reads with a null start (duration unknown), and fields a
 * later version adds are ignored. Tags are {@code ",a,b,"} so that a tag filter is a plain {@code
 * LIKE '%,tag,%'}.
 */
public final class StoreCodec {
  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build()
          .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
  private static final TypeReference<List<AttemptError>> ERRORS = new TypeReference<>() {};

  private StoreCodec() {}

  /** The error history as a JSON array. */
  public static String errorsToJson(List<AttemptError> errors) {
    try {
      return MAPPER.writeValueAsString(errors);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write error history", e);
    }
  }

  /** One error as a JSON object. */
  public static String errorToJson(AttemptError error) {
    try {
      return MAPPER.writeValueAsString(error);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write error", e);
    }
  }

  /** Reads an error history written by {@link #errorsToJson}; null or empty gives none. */
  public static List<AttemptError> errorsFromJson(String json) {
    if (json == null || json.isEmpty()) {
      return List.of();
    }
    try {
      return MAPPER.readValue(json, ERRORS);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored error history is not valid JSON: " + json, e);
    }
  }

  /** Tags as {@code ",a,b,"}, or empty for none. */
  public static String tagsToColumn(Set<String> tags) {
    return tags.isEmpty() ? "" : "," + String.join(",", tags) + ",";
  }

  /** Reads tags written by {@link #tagsToColumn}. */
  public static Set<String> tagsFromColumn(String column) {
    if (column == null || column.isEmpty()) {
      return Set.of();
    }
    Set<String> tags = new LinkedHashSet<>();
    Arrays.stream(column.split(",")).filter(s -> !s.isEmpty()).forEach(tags::add);
    return tags;
  }
}
