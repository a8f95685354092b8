package dev.errand.web;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Typed reads of one JSON object in a request body. Every failure is an {@link ApiException} {@code
 * invalid_body} naming the field's path (e.g. {@code jobs[2].priority}), what was found and what is
 * expected; unknown fields are rejected so a typo is never silently ignored.
 */
final class Fields {
  /** Earliest and latest instants accepted anywhere in the API. */
  static final Instant MIN_INSTANT = Instant.parse("1970-01-01T00:00:00Z");

  static final Instant MAX_INSTANT = Instant.parse("9999-12-31T23:59:59Z");

  private final JsonNode node;
  private final String path;

  private Fields(JsonNode node, String path) {
    this.node = node;
    this.path = path;
  }

  /** The object at {@code path}, with only {@code allowed} fields. */
  static Fields object(JsonNode node, String path, Set<String> allowed) {
    if (node == null || !node.isObject()) {
      throw invalid(path.isEmpty() ? "the request body" : path, "must be a JSON object", node);
    }
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String n = names.next();
      if (!allowed.contains(n)) {
        throw ApiException.badRequest(
            "invalid_body",
            "unknown field '"
                + prefix(path)
                + n
                + "'; accepted fields are "
                + new java.util.TreeSet<>(allowed));
      }
    }
    return new Fields(node, path);
  }

  boolean has(String name) {
    JsonNode v = node.get(name);
    return v != null && !v.isNull();
  }

  JsonNode raw(String name) {
    return node.get(name);
  }

  String name(String field) {
    return prefix(path) + field;
  }

  String requiredText(String name) {
    String s = text(name);
    if (s == null) {
      throw ApiException.badRequest(
          "invalid_body", "field '" + name(name) + "' is required (a string)");
    }
    return s;
  }

  String text(String name) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw invalid(name(name), "must be a string", v);
    }
    return v.asText();
  }

  Integer integer(String name) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw invalid(
          name(name),
          "must be a whole number between " + Integer.MIN_VALUE + " and " + Integer.MAX_VALUE,
          v);
    }
    return v.intValue();
  }

  Instant instant(String name) {
    String s = text(name);
    return s == null ? null : parseInstant(name(name), s, "invalid_body");
  }

  Duration duration(String name) {
    String s = text(name);
    if (s == null) {
      return null;
    }
    try {
      return Duration.parse(s);
    } catch (DateTimeParseException e) {
      throw ApiException.badRequest(
          "invalid_body",
          "field '"
              + name(name)
              + "' must be an ISO-8601"
              + " duration such as PT30S or PT5M, got '"
              + clip(s)
              + "'");
    }
  }

  List<String> strings(String name) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      return List.of();
    }
    if (!v.isArray()) {
      throw invalid(name(name), "must be an array of strings", v);
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < v.size(); i++) {
      if (!v.get(i).isTextual()) {
        throw invalid(name(name) + "[" + i + "]", "must be a string", v.get(i));
      }
      out.add(v.get(i).asText());
    }
    return out;
  }

  static Instant parseInstant(String what, String text, String code) {
    Instant i;
    try {
      i = Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw ApiException.badRequest(
          code,
          "'"
              + what
              + "' must be an ISO-8601 instant such as"
              + " 2026-12-01T09:00:00Z, got '"
              + clip(text)
              + "'");
    }
    if (i.isBefore(MIN_INSTANT) || i.isAfter(MAX_INSTANT)) {
      throw ApiException.badRequest(
          code,
          "'"
              + what
              + "' must be between "
              + MIN_INSTANT
              + " and "
              + MAX_INSTANT
              + ", got "
              + clip(text));
    }
    return i;
  }

  static String clip(String s) {
    return s.length() > 100 ? s.substring(0, 100) + "…" : s;
  }

  private static String prefix(String path) {
    return path.isEmpty() ? "" : path + ".";
  }

  private static ApiException invalid(String what, String rule, JsonNode found) {
    String kind =
        found == null || found.isNull()
            ? "nothing"
            : found.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    return ApiException.badRequest("invalid_body", "'" + what + "' " + rule + ", got " + kind);
  }
}
