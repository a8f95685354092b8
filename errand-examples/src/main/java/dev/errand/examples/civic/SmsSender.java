package dev.errand.examples.civic;

/**
 * Sends a text message to a phone: the SMS gateway of the civic reports app. {@link CivicApp} calls
 * it after the response of {@code POST /api/v1/auth/request-otp} on an after-response lane thread
 * (or in the request when background work is off); implementations must be thread-safe.
 */
@FunctionalInterface
public interface SmsSender {
  /**
   * Sends {@code text} to {@code phone} (E.164, e.g. {@code +919876543210}) and returns once the
   * gateway accepted it.
   *
   * @throws Exception if the gateway refused or could not be reached; the lane retries the send
   */
  void send(String phone, String text) throws Exception;
}
