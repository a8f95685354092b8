package dev.errand.jdbc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints a {@link SqliteJobStore}'s write-ahead log on its own daemon thread, {@value
 * #THREAD_NAME}, and its own connection, every {@link #INTERVAL}, so that no enqueue, claim or
 * outcome commit pays for a checkpoint.
 *
 * <p>By default SQLite checkpoints inside the commit that grows the WAL past 1,000 pages: that
 * commit copies the WAL into the database file and fsyncs both before it returns, a few
 * milliseconds in which the caller (and, behind the writer lock, every other writer of the process)
 * waits. Here the writer connection's automatic checkpoint is raised to {@link #BACKSTOP_PAGES} —
 * it still fires if this thread ever falls behind, so the WAL stays bounded — and this thread runs
 * {@code PRAGMA wal_checkpoint(PASSIVE)}, which neither takes the write lock nor waits for readers:
 * writers go on appending to the WAL while it copies.
 *
 * <p>Durability is unchanged: a commit is durable when its WAL frames are (FULL fsyncs them in the
 * commit), never because of a checkpoint; a checkpoint fsyncs the WAL before it copies and the
 * database file after. A process killed during a checkpoint leaves a WAL that the next open
 * replays, as with SQLite's own checkpoints.
 */
final class SqliteCheckpointer implements AutoCloseable {
  static final String THREAD_NAME = "errand-sqlite-checkpoint";
  static final Duration INTERVAL = Duration.ofMillis(250);

  /** {@code wal_autocheckpoint} of the writer connection: the backstop if this thread stalls. */
  static final int BACKSTOP_PAGES = 10_000;

  private static final Logger log = LoggerFactory.getLogger(SqliteCheckpointer.class);

  private final Supplier<Connection> connections;
  private final String file;
  private final Object wakeUp = new Object();
  private final AtomicLong checkpoints = new AtomicLong();

  /** What the last checkpoint reported: frames in the WAL, and of those, copied. */
  private volatile long walFrames = -1;

  private volatile long copiedFrames = -1;
  private final Thread thread;
  private volatile boolean closed;

  /**
   * @param connections opens the connection this thread checkpoints with (once; again after a
   *     failure)
   */
  SqliteCheckpointer(Supplier<Connection> connections, String file) {
    this.connections = connections;
    this.file = file;
    this.thread = new Thread(this::loop, THREAD_NAME);
    thread.setDaemon(true);
  }

  /** Sets the backstop on the writer connection; call before the writer's first commit. */
  static void configureWriter(Connection writer) throws SQLException {
    try (Statement st = writer.createStatement()) {
      st.execute("PRAGMA wal_autocheckpoint = " + BACKSTOP_PAGES);
    }
  }

  void start() {
    thread.start();
  }

  /** Checkpoints that ran (for tests and diagnostics). */
  long checkpoints() {
    return checkpoints.get();
  }

  /** Frames in the WAL at the last checkpoint, or -1 before the first. */
  long walFrames() {
    return walFrames;
  }

  /** Frames of the WAL in the database file after the last checkpoint, or -1 before the first. */
  long copiedFrames() {
    return copiedFrames;
  }

  private void loop() {
    Connection c = null;
    int failures = 0;
    while (!closed) {
      pause();
      if (closed) {
        break;
      }
      try {
        if (c == null) {
          c = connections.get();
        }
        try (Statement st = c.createStatement();
            ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
          if (rs.next()) {
            walFrames = rs.getLong(2);
            copiedFrames = rs.getLong(3);
          }
        }
        checkpoints.incrementAndGet();
        failures = 0;
      } catch (SQLException | RuntimeException e) {
        if (failures++ == 0) {
          log.warn(
              "errand: background checkpoint of {} failed; retrying every {} ms (the writer"
                  + " checkpoints by itself past {} WAL pages)",
              file,
              INTERVAL.toMillis(),
              BACKSTOP_PAGES,
              e);
        }
        closeQuietly(c);
        c = null;
      }
    }
    closeQuietly(c);
  }

  private void pause() {
    synchronized (wakeUp) {
      long end = System.nanoTime() + INTERVAL.toNanos();
      long left;
      while (!closed && (left = end - System.nanoTime()) > 0) {
        try {
          wakeUp.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          closed = true;
          return;
        }
      }
    }
  }

  /** Stops the thread and waits for it; idempotent. */
  @Override
  public void close() {
    closed = true;
    synchronized (wakeUp) {
      wakeUp.notifyAll();
    }
    if (Thread.currentThread() != thread && thread.isAlive()) {
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // closing anyway
      }
    }
  }
}
