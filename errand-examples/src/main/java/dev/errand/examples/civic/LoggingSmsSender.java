package dev.errand.examples.civic;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link SmsSender} that writes each message to the log (logger {@code civic.sms}, INFO) instead
 * of a gateway: 001's "placeholder for future integration". The demo's default; thread-safe.
 */
public final class LoggingSmsSender implements SmsSender {
  private static final Logger log = LoggerFactory.getLogger("civic.sms");

  @Override
  public void send(String phone, String text) {
    log.info("SMS to {}: {}", phone, text);
  }
}
