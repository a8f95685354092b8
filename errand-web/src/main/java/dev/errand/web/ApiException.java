package dev.errand.web;

/**
 * A request the API refuses: an HTTP status, a stable machine-readable code and a message that says
 * what to fix. Rendered as {@code {"error":{"code":…,"message":…}}}.
 */
final class ApiException extends RuntimeException {
  private final int status;
  private final String code;

  ApiException(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  ApiException(int status, String code, String message, Throwable cause) {
    super(message, cause, false, false);
    this.status = status;
    this.code = code;
  }

  int status() {
    return status;
  }

  String code() {
    return code;
  }

  static ApiException badRequest(String code, String message) {
    return new ApiException(400, code, message);
  }

  static ApiException notFound(String message) {
    return new ApiException(404, "not_found", message);
  }
}
