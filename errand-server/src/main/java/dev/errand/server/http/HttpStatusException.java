package dev.errand.server.http;

import java.io.IOException;

/**
 * An {@code http} job's call got a response that is not a success. Thrown (retryable) for 5xx, 408
 * and 429 answers without a usable {@code Retry-After}; the cause of the {@link
 * dev.errand.PermanentFailure} thrown for other 4xx and for unfollowed 3xx answers.
 */
public final class HttpStatusException extends IOException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String excerpt;

  HttpStatusException(String message, int status, String excerpt) {
    super(message);
    this.status = status;
    this.excerpt = excerpt;
  }

  /** The response status code. */
  public int status() {
    return status;
  }

  /** The first bytes of the response body as text (bounded by the type's excerpt limit). */
  public String excerpt() {
    return excerpt;
  }
}
