package dev.errand.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the {@code NOTIFY} of enqueues that {@link PostgresJobStore} committed itself, after their
 * commit, on one daemon thread {@code errand-pg-notify}.
 *
 * <p>Why not in the enqueue's own transaction: PostgreSQL serializes every committing transaction
 * that has notified on one database-wide lock, held through the commit's WAL flush, so notifying
 * enqueues commit one at a time. Here the enqueue commits without that lock, and the notifications
 * of everything committed while the previous one was being sent go out together, one per queue, in
 * one statement whose commit does not wait for the flush. A notification lost to a crash between
 * the two is covered by the workers' polling, as any lost notification is. Enqueues on a caller's
 * connection keep their NOTIFY inside the caller's transaction, which must fire on its commit. So
 * does a single-job enqueue while no other enqueue write of the store is in flight: with nothing to
 * queue behind the lock, notifying in the commit only saves this thread's hand-off and statement.
 */
final class PostgresNotifier implements AutoCloseable {
  static final String NOTIFY_SQL =
      PostgresJobStore.ASYNC_COMMIT
          + "SELECT count(pg_notify('"
          + PostgresJobStore.CHANNEL
          + "', q)) FROM async,"
          + " unnest(?::text[]) AS q";

  private static final Logger log = LoggerFactory.getLogger(PostgresNotifier.class);

  private final DataSource dataSource;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition pending = lock.newCondition();
  private final Set<String> queues = new java.util.LinkedHashSet<>(); // guarded by lock
  private boolean closed; // guarded by lock
  private final Thread thread;

  PostgresNotifier(DataSource dataSource) {
    this.dataSource = dataSource;
    this.thread = new Thread(this::loop, "errand-pg-notify");
    thread.setDaemon(true);
    thread.start();
  }

  /** Asks for a notification for each queue; returns at once. */
  void wake(Set<String> dueQueues) {
    lock.lock();
    try {
      queues.addAll(dueQueues);
      pending.signal();
    } finally {
      lock.unlock();
    }
  }

  /** Sends what is pending, then stops the thread. */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      pending.signal();
    } finally {
      lock.unlock();
    }
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void loop() {
    int failures = 0;
    while (true) {
      List<String> batch;
      boolean last;
      lock.lock();
      try {
        while (queues.isEmpty() && !closed) {
          pending.awaitUninterruptibly();
        }
        batch = new ArrayList<>(queues);
        queues.clear();
        last = closed;
      } finally {
        lock.unlock();
      }
      if (!batch.isEmpty()) {
        try {
          send(batch);
          failures = 0;
        } catch (SQLException | RuntimeException e) {
          // best effort: workers poll; log the first failure of a run of them
          if (failures++ == 0) {
            log.warn(
                "errand: could not send NOTIFY for queues {}; workers will find the jobs by"
                    + " polling",
                batch,
                e);
          }
        }
      }
      if (last) {
        return;
      }
    }
  }

  private void send(List<String> batch) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      if (!c.getAutoCommit()) {
        c.setAutoCommit(true);
      }
      try (PreparedStatement ps = c.prepareStatement(NOTIFY_SQL)) {
        ps.setArray(1, c.createArrayOf("text", batch.toArray(new String[0])));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
        }
      }
    }
  }
}
