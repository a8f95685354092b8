package dev.errand.web;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** Reads and checks the parts of a request: query parameters, path parameters and the body. */
final class Request {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:\\-]{0,99}");
  private static final Pattern BAD_ESCAPE = Pattern.compile("%(?![0-9A-Fa-f]{2})");

  private Request() {}

  /** Refuses query parameters other than {@code allowed}, so a misspelt filter is never ignored. */
  static void onlyParams(Context ctx, Set<String> allowed) {
    String qs = ctx.queryString();
    if (qs != null && BAD_ESCAPE.matcher(qs).find()) {
      throw ApiException.badRequest(
          "invalid_parameter",
          "the query string has a malformed"
              + " percent-escape (a % not followed by two hex digits): '"
              + Fields.clip(qs)
              + "'");
    }
    for (String p : ctx.queryParamMap().keySet()) {
      if (!allowed.contains(p)) {
        throw ApiException.badRequest(
            "invalid_parameter",
            "unknown query parameter '"
                + Fields.clip(p)
                + "'; "
                + (allowed.isEmpty()
                    ? "this endpoint takes none"
                    : "accepted: " + new TreeSet<>(allowed)));
      }
    }
  }

  /** The single value of query parameter {@code name}, or null; refuses repeats. */
  static String param(Context ctx, String name) {
    List<String> values = ctx.queryParams(name);
    if (values.isEmpty()) {
      return null;
    }
    if (values.size() > 1) {
      throw ApiException.badRequest(
          "invalid_parameter",
          "query parameter '" + name + "' is given " + values.size() + " times; give it once");
    }
    String v = values.get(0);
    if (v.isEmpty()) {
      throw ApiException.badRequest(
          "invalid_parameter",
          "query parameter '" + name + "' is empty;" + " leave it out or give a value");
    }
    return v;
  }

  /** A text filter value: 1–255 characters, no control characters (they cannot match anything). */
  static String filter(String what, String value, String code) {
    if (value == null) {
      return null;
    }
    if (value.length() > 255 || value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw ApiException.badRequest(
          code,
          "'"
              + what
              + "' must be 1-255 characters without control"
              + " characters, got '"
              + Fields.clip(value.replaceAll("\\p{Cntrl}", "?"))
              + "'");
    }
    return value;
  }

  static int intParam(Context ctx, String name, int dflt, int min, int max) {
    String v = param(ctx, name);
    if (v == null) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw ApiException.badRequest(
        "invalid_parameter",
        "query parameter '"
            + name
            + "' must be a whole"
            + " number from "
            + min
            + " to "
            + max
            + ", got '"
            + Fields.clip(v)
            + "'");
  }

  /** The positive job id in path parameter {@code id}. */
  static long jobId(Context ctx) {
    String v = ctx.pathParam("id");
    try {
      long id = Long.parseLong(v);
      if (id > 0) {
        return id;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw ApiException.badRequest(
        "invalid_parameter",
        "job id '" + Fields.clip(v) + "' must be a" + " positive whole number");
  }

  /** A schedule or queue name from the path, checked against the naming rules. */
  static String name(Context ctx, String what) {
    String v = ctx.pathParam("name");
    if (!NAME.matcher(v).matches()) {
      throw ApiException.badRequest(
          "invalid_parameter",
          what
              + " name '"
              + Fields.clip(v)
              + "' is not"
              + " valid: names are 1-100 letters, digits or _ . : - starting with a letter or digit");
    }
    return v;
  }

  /**
   * The body, at most {@code max} bytes; an empty array if there is none.
   *
   * @throws ApiException body_too_large (413), or unsupported_media_type (415) for a non-JSON body
   */
  static byte[] body(Context ctx, int max) {
    long declared = ctx.req().getContentLengthLong();
    if (declared > max) {
      drain(ctx, max);
      throw tooLarge(max, declared + " bytes");
    }
    byte[] buf;
    try (InputStream in = ctx.req().getInputStream()) {
      buf = in.readNBytes(max + 1);
    } catch (IOException e) {
      throw ApiException.badRequest(
          "invalid_body", "the request body could not be read: " + e.getMessage());
    }
    if (buf.length > max) {
      drain(ctx, max);
      throw tooLarge(max, "more than " + max + " bytes");
    }
    if (buf.length > 0 && !Guard.isJson(ctx.contentType())) {
      throw new ApiException(
          415,
          "unsupported_media_type",
          "the body must be JSON sent with"
              + " 'Content-Type: application/json', got "
              + (ctx.contentType() == null
                  ? "no content type"
                  : "'" + Fields.clip(ctx.contentType()) + "'"));
    }
    return buf;
  }

  /** The body parsed as JSON; required. */
  static com.fasterxml.jackson.databind.JsonNode json(Context ctx, int max) {
    return Json.parse(body(ctx, max));
  }

  /**
   * Reads and discards what is left of an oversized body, up to {@value #DRAIN_FACTOR} times the
   * limit, so that a client still sending it can read the 413 instead of a reset connection (the
   * server closes a connection whose body it has not read). Beyond that the connection is closed.
   */
  private static void drain(Context ctx, int max) {
    long left = (long) max * DRAIN_FACTOR;
    byte[] sink = new byte[64 * 1024];
    try {
      InputStream in = ctx.req().getInputStream();
      for (int n; left > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, left))) > 0; ) {
        left -= n;
      }
    } catch (IOException e) {
      // the client went away: nothing to answer
    }
  }

  private static final int DRAIN_FACTOR = 16;

  private static ApiException tooLarge(int max, String got) {
    return new ApiException(
        413,
        "body_too_large",
        "the request body may be at most "
            + max
            + " bytes (WebConfig.maxBodyBytes), got "
            + got
            + "; send large batches in parts");
  }

  static Map<String, Object> ok(String key, Object value) {
    return Map.of(key, value);
  }
}
