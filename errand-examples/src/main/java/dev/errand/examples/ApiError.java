package dev.errand.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.javalin.router.JavalinDefaultRoutingApi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An error answered as JSON {@code {"error": code, "message": …}} with an HTTP status. Thrown by
 * request handlers; {@link #install} turns it and malformed JSON into responses.
 */
public final class ApiError extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private static final Logger log = LoggerFactory.getLogger(ApiError.class);

  private final int status;
  private final String code;

  public ApiError(int status, String code, String message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  public static ApiError badRequest(String message) {
    return new ApiError(400, "BadRequest", message);
  }

  public static ApiError forbidden(String message) {
    return new ApiError(403, "Forbidden", message);
  }

  public static ApiError notFound(String message) {
    return new ApiError(404, "NotFound", message);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  /** Answers ApiErrors and unreadable JSON bodies with their status, anything else with 500. */
  public static void install(JavalinDefaultRoutingApi routes) {
    routes.exception(
        ApiError.class,
        (e, ctx) ->
            ctx.status(e.status).json(Json.object("error", e.code, "message", e.getMessage())));
    routes.exception(
        Exception.class,
        (e, ctx) -> {
          log.error("{} {} failed", ctx.method(), ctx.path(), e);
          ctx.status(500)
              .json(
                  Json.object("error", "InternalError", "message", String.valueOf(e.getMessage())));
        });
  }

  /** Reads the request body as {@code type}, or throws a 400 that says what does not map. */
  public static <T> T body(Context ctx, ObjectMapper mapper, Class<T> type) {
    try {
      T value = mapper.readValue(ctx.body(), type);
      if (value == null) {
        throw badRequest("the request body is empty: send a JSON object");
      }
      return value;
    } catch (JsonProcessingException e) {
      throw badRequest("the request body is not valid: " + e.getOriginalMessage());
    }
  }
}
