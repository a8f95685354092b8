package dev.errand.examples.marketplace;

/**
 * Where the marketplace pushes live updates: the browsers of one user, or of everyone connected.
 * The app calls these from after-response tasks (lane threads), never from a request thread. {@link
 * NotificationStream} is the real one (Server-Sent Events); a wrapper can add delivery elsewhere
 * or, in tests, fail.
 */
public interface Notifications {
  /** Pushes {@code n} to every connected browser of {@code userId}; nobody connected is fine. */
  void send(String userId, Notification n);

  /** Pushes {@code n} to every connected browser. */
  void broadcast(Notification n);
}
