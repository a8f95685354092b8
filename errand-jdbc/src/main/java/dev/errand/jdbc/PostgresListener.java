package dev.errand.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code LISTEN} subscription: a dedicated connection from the store's DataSource and a daemon
 * thread ({@value #THREAD_NAME} for {@link PostgresJobStore#CHANNEL}) that waits for notifications
 * on one channel and hands each payload (a queue name, or a message of cluster events) to the
 * listener on that thread.
 *
 * <p>When the connection dies (PostgreSQL restarted, backend terminated, network cut) the thread
 * opens a new one with exponential backoff between {@link #MIN_BACKOFF} and {@link #MAX_BACKOFF},
 * logging one warning when the outage starts and one line when it ends. Notifications sent while no
 * connection listens are lost; the engine's polling covers that gap. An idle connection is checked
 * every {@link #PING_INTERVAL}, so a silently dropped one is noticed too.
 */
final class PostgresListener implements AutoCloseable {
  static final String THREAD_NAME = "errand-pg-listen";
  static final Duration POLL = Duration.ofMillis(500);
  static final Duration MIN_BACKOFF = Duration.ofMillis(100);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
  static final Duration PING_INTERVAL = Duration.ofSeconds(15);
  private static final Logger log = LoggerFactory.getLogger(PostgresListener.class);

  /** The listening connection of the listener whose thread is delivering, while it delivers. */
  private static final ThreadLocal<Delivering> DELIVERING = new ThreadLocal<>();

  /** A listener's connection, with the pool it came from. */
  private record Delivering(DataSource from, Connection connection) {}

  private final DataSource dataSource;
  private final String channel;
  private final String advertise;
  private final Consumer<String> listener;
  private final Runnable onClose;
  private volatile Runnable onListen;
  private final Object wakeUp = new Object();
  private final Thread thread;
  private volatile boolean closed;

  /** True while a LISTEN is in effect; read by tests and diagnostics. */
  private volatile boolean listening;

  /**
   * A listener on {@code channel}; with {@code advertise} (the arguments of a shared advisory lock,
   * such as {@code "1, 2"}) the connection also holds that lock while it listens, so that other
   * sessions can count the listeners in {@code pg_locks}.
   */
  PostgresListener(
      DataSource dataSource,
      String channel,
      String advertise,
      String threadName,
      Consumer<String> listener,
      Runnable onClose) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.channel = Objects.requireNonNull(channel, "channel");
    this.advertise = advertise;
    this.listener = Objects.requireNonNull(listener, "listener");
    this.onClose = onClose;
    this.thread = new Thread(this::run, threadName);
    thread.setDaemon(true);
  }

  /**
   * Runs {@code r} on this listener's thread each time a LISTEN takes effect, the first and after
   * every reconnect; call before {@link #start()}. A failure is logged and changes nothing else.
   */
  PostgresListener onListen(Runnable r) {
    this.onListen = r;
    return this;
  }

  void start() {
    thread.start();
  }

  boolean isListening() {
    return listening;
  }

  /**
   * The listening connection of a listener on {@code from} whose thread is calling this while it
   * delivers a notification, else null. A store call made from the delivery (the engine's claim on
   * a notification) can run on it: the backend that just sent the notification is awake, and the
   * pool is not touched. The connection is in auto-commit; notifications that arrive meanwhile are
   * buffered for the next read. The caller must not close it or leave a transaction open.
   */
  static Connection deliveringConnection(DataSource from) {
    Delivering d = DELIVERING.get();
    return d != null && d.from() == from ? d.connection() : null;
  }

  String channel() {
    return channel;
  }

  private void run() {
    Duration backoff = MIN_BACKOFF;
    long outageStarted = 0;
    while (!closed) {
      try (Connection c = dataSource.getConnection()) {
        boolean failed = true;
        try {
          listen(c);
          if (outageStarted != 0) {
            log.info(
                "errand: LISTEN {} restored after {} ms",
                channel,
                (System.nanoTime() - outageStarted) / 1_000_000);
            outageStarted = 0;
          }
          backoff = MIN_BACKOFF;
          receive(c);
          failed = false;
        } finally {
          // also after a failure: a connection that is still alive goes back to its pool
          // listening and holding the listener lock otherwise, and is counted as a listener
          if (!failed || isAlive(c)) {
            unlisten(c);
          }
        }
      } catch (VirtualMachineError e) {
        listening = false;
        log.error("errand: LISTEN thread stopped by a fatal error", e);
        throw e;
      } catch (Throwable e) {
        listening = false;
        if (closed) {
          break;
        }
        if (outageStarted == 0) {
          outageStarted = System.nanoTime();
          log.warn(
              "errand: LISTEN {} connection failed (SQLState {}); reconnecting with backoff"
                  + " up to {} s; meanwhile cross-node wake-ups fall back to polling and"
                  + " other nodes' live events are missed",
              channel,
              e instanceof SQLException s ? s.getSQLState() : null,
              MAX_BACKOFF.toSeconds(),
              e);
        } else {
          log.debug("errand: LISTEN reconnect failed", e);
        }
        pause(backoff);
        Duration doubled = backoff.multipliedBy(2);
        backoff = doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
      }
    }
    listening = false;
  }

  private void listen(Connection c) throws SQLException {
    // LISTEN inside an open transaction only takes effect at commit, and notifications are
    // delivered between transactions: this connection runs in auto-commit.
    c.setAutoCommit(true);
    try (Statement st = c.createStatement()) {
      // the lock first, so that it never listens uncounted (and LISTEN stays the session's last
      // statement in pg_stat_activity, where tests find it)
      if (advertise != null) {
        st.execute("SELECT pg_advisory_lock_shared(" + advertise + ")");
      }
      st.execute("LISTEN " + channel);
    }
    NotificationReadAhead.apply(c);
    listening = true;
    Runnable hook = onListen;
    if (hook != null) {
      try {
        hook.run();
      } catch (RuntimeException e) {
        log.warn("errand: the after-LISTEN step on {} failed", channel, e);
      }
    }
  }

  private void receive(Connection c) throws SQLException {
    PGConnection pg = c.unwrap(PGConnection.class);
    long lastTraffic = System.nanoTime();
    Delivering self = new Delivering(dataSource, c);
    while (!closed) {
      PGNotification[] notifications = pg.getNotifications((int) POLL.toMillis());
      if (notifications != null && notifications.length > 0) {
        lastTraffic = System.nanoTime();
        DELIVERING.set(self);
        try {
          for (PGNotification n : notifications) {
            deliver(n.getParameter());
          }
        } finally {
          DELIVERING.remove();
        }
      } else if (System.nanoTime() - lastTraffic > PING_INTERVAL.toNanos()) {
        try (Statement st = c.createStatement()) {
          st.execute("SELECT 1");
        }
        lastTraffic = System.nanoTime();
      }
    }
  }

  /**
   * Leaves the connection as it was found before it goes back to a pool: a pooled connection still
   * listening would collect notifications for its next user.
   */
  private void unlisten(Connection c) {
    listening = false;
    try (Statement st = c.createStatement()) {
      st.execute("UNLISTEN *");
      if (advertise != null) {
        st.execute("SELECT pg_advisory_unlock_shared(" + advertise + ")");
      }
      NotificationReadAhead.restore(c);
      c.unwrap(PGConnection.class).getNotifications();
    } catch (SQLException e) {
      try {
        c.abort(Runnable::run); // a pool discards an aborted connection
      } catch (SQLException | RuntimeException abortFailed) {
        e.addSuppressed(abortFailed);
      }
      log.warn(
          "errand: UNLISTEN failed; aborted the connection instead of giving it back listening", e);
    }
  }

  private static boolean isAlive(Connection c) {
    try {
      return c.isValid(1);
    } catch (SQLException e) {
      return false;
    }
  }

  private void deliver(String payload) {
    try {
      listener.accept(payload);
    } catch (Throwable t) {
      log.error(
          "errand: {} notification listener failed for '{}'",
          channel,
          payload.length() > 100 ? payload.substring(0, 100) + "…" : payload,
          t);
    }
  }

  private void pause(Duration d) {
    synchronized (wakeUp) {
      long end = System.nanoTime() + d.toNanos();
      long left;
      while (!closed && (left = end - System.nanoTime()) > 0) {
        try {
          wakeUp.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** Tells the thread to stop, without waiting for it. */
  void requestClose() {
    closed = true;
    synchronized (wakeUp) {
      wakeUp.notifyAll();
    }
  }

  /**
   * Stops the thread, waiting for it (about {@link #POLL} at most) to UNLISTEN and give its
   * connection back. Idempotent.
   */
  @Override
  public void close() {
    requestClose();
    if (Thread.currentThread() != thread && thread.isAlive()) {
      try {
        thread.join(POLL.toMillis() * 4);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (onClose != null) {
      onClose.run();
    }
  }
}
