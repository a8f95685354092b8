package dev.errand.server.alert;

import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * Writes each alert as one WARN line on the logger {@code errand.alert}: the alert's summary as the
 * message and its kind, key and fields as key/value pairs (separate JSON fields with {@code
 * ERRAND_LOG_FORMAT=json}, {@code key=value} in text logs).
 */
public final class LogAlertSink implements AlertSink {
  /** The logger name alerts are written to. */
  public static final String LOGGER = "errand.alert";

  private static final Logger log = LoggerFactory.getLogger(LOGGER);

  @Override
  public String name() {
    return "log";
  }

  @Override
  public void send(Alert alert) {
    LoggingEventBuilder e =
        log.atWarn()
            .addKeyValue("alert_kind", alert.kind().label())
            .addKeyValue("alert_key", alert.key())
            .addKeyValue("suppressed", alert.suppressed());
    for (Map.Entry<String, String> f : alert.fields().entrySet()) {
      e = e.addKeyValue(f.getKey(), f.getValue());
    }
    e.log("alert: {}", alert.summary());
  }
}
