package dev.errand.examples.bugtracker;

/**
 * Where notifications go (002's "configured channels"). Called from notification jobs on worker
 * threads, possibly several at once; a send that throws is retried with the job's backoff, and a
 * send that returned is never repeated for the same job and recipient.
 */
public interface NotificationChannel {
  /** A short unique name, stored with each delivery ({@code inbox}, {@code webhook}). */
  String name();

  /** Delivers {@code n}, or throws to have it retried. */
  void send(Notification n) throws Exception;
}
