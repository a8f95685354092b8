package dev.errand.server.alert;

/**
 * Where alerts go: the log ({@link LogAlertSink}), a webhook ({@link WebhookAlertSink}), or your
 * own. Called by the {@link Alerter} on its single delivery thread ({@code errand-alerts}), one
 * alert at a time, never on a worker or event thread, so a slow sink delays only other alerts.
 */
public interface AlertSink {
  /** A short name for logs, e.g. {@code log} or {@code webhook}. */
  String name();

  /**
   * Delivers one alert. Throw to report a failed delivery: the alerter tries again a few times with
   * growing pauses, then logs the alert as undelivered.
   */
  void send(Alert alert) throws Exception;
}
