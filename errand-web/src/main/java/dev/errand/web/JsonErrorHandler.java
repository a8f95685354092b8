package dev.errand.web;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty's own refusals (a malformed URI, headers too large) as the API's JSON errors instead of
 * HTML pages, on the server {@link ErrandWeb#start()} runs. They happen before any route runs.
 */
final class JsonErrorHandler extends ErrorHandler {
  @Override
  protected void generateResponse(
      Request request,
      Response response,
      int code,
      String message,
      Throwable cause,
      Callback callback) {
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
    response.write(true, ByteBuffer.wrap(body(code, message)), callback);
  }

  @Override
  public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
    fields.put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
    return ByteBuffer.wrap(body(status, reason));
  }

  static byte[] body(int status, String reason) {
    String code =
        switch (status) {
          case 400 -> "bad_request";
          case 414 -> "uri_too_long";
          case 431 -> "headers_too_large";
          case 413 -> "body_too_large";
          default -> status >= 500 ? "internal_error" : "http_" + status;
        };
    String message =
        switch (status) {
          case 400 ->
              "the HTTP request is malformed ("
                  + (reason == null ? "bad request" : reason)
                  + "); check the URI's percent-escapes and the request line";
          case 414 -> "the URI is too long; send filters in fewer or shorter parameters";
          case 431 -> "the request headers are too large; send fewer or smaller headers";
          default -> reason == null ? "HTTP " + status : reason;
        };
    return Json.write(Json.error(code, message)).getBytes(StandardCharsets.UTF_8);
  }
}
