package dev.errand.server.http;

/**
 * What a successful {@code http} job stores as its result.
 *
 * @param status the response status (2xx)
 * @param body the first bytes of the response body as UTF-8 text, at most the type's excerpt limit
 * @param truncated true if the body was longer than the excerpt
 */
public record HttpResult(int status, String body, boolean truncated) {}
