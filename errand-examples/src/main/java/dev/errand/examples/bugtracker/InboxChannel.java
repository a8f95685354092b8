package dev.errand.examples.bugtracker;

import dev.errand.examples.ExampleDatabase;
import java.time.Clock;

/**
 * The in-app inbox: a notification is a row of the {@code inbox} table, shown by {@code GET
 * /inbox}.
 */
public final class InboxChannel implements NotificationChannel {
  private final ExampleDatabase db;
  private final Clock clock;

  public InboxChannel(ExampleDatabase db, Clock clock) {
    this.db = db;
    this.clock = clock;
  }

  @Override
  public String name() {
    return "inbox";
  }

  @Override
  public void send(Notification n) {
    db.inTransaction(
        c ->
            ExampleDatabase.update(
                c,
                "INSERT INTO inbox (recipient_id, kind, message, bug_id,"
                    + " created_at) VALUES (?, ?, ?, ?, ?)",
                n.recipientId(),
                n.kind(),
                n.message(),
                n.bugId(),
                clock.instant().toEpochMilli()));
  }
}
