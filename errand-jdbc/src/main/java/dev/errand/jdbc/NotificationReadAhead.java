package dev.errand.jdbc;

import java.lang.reflect.Field;
import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.PGStream;
import org.postgresql.core.QueryExecutor;
import org.postgresql.core.QueryExecutorBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes a fixed 1 ms from every notification pgjdbc delivers on a listening connection.
 *
 * <p>{@code PGConnection.getNotifications(timeout)} blocks until a message arrives, then asks
 * {@code PGStream.hasMessagePending()} whether more follow before it returns. With nothing buffered
 * that check is a socket read with a 1 ms timeout, and it is repeated on every call (pgjdbc only
 * skips it for {@code minStreamAvailableCheckDelay} after a check that did not time out; see pgjdbc
 * issue 1547 for the same logic seen from the other side). So each wake-up reached the engine at
 * least 1 ms after PostgreSQL sent it — half of the enqueue-to-start budget.
 *
 * <p>Setting the stream's next-check time into the far future makes the check answer from the
 * buffer only: notifications already received are still all returned by one call, and the blocking
 * wait for the first one is untouched. This is done only on the listener's own connection, and
 * {@link #restore} undoes it before the connection goes back to its pool.
 *
 * <p>It reads two non-public fields of pgjdbc ({@code QueryExecutorBase.pgStream}, {@code
 * PGStream.nextStreamAvailableCheckTime}). If a pgjdbc version lacks them, {@link #apply} returns
 * false, logs once, and notifications arrive as before, 1 ms later. {@code
 * NotificationReadAheadTest} pins the pgjdbc version Errand is built with.
 */
final class NotificationReadAhead {
  private static final Logger log = LoggerFactory.getLogger(NotificationReadAhead.class);
  private static final Field STREAM;
  private static final Field NEXT_CHECK;

  static {
    Field stream = null;
    Field next = null;
    try {
      stream = QueryExecutorBase.class.getDeclaredField("pgStream");
      stream.setAccessible(true);
      next = PGStream.class.getDeclaredField("nextStreamAvailableCheckTime");
      next.setAccessible(true);
      if (next.getType() != long.class) {
        next = null;
      }
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      log.info(
          "errand: this pgjdbc version does not allow skipping its 1 ms wait after each"
              + " notification ({}); LISTEN wake-ups arrive 1 ms later",
          e.toString());
      stream = null;
      next = null;
    }
    STREAM = stream;
    NEXT_CHECK = next;
  }

  private NotificationReadAhead() {}

  /** Whether this pgjdbc version lets {@link #apply} work. */
  static boolean available() {
    return STREAM != null && NEXT_CHECK != null;
  }

  /**
   * Makes {@code getNotifications} on {@code c} return as soon as what is buffered is read. Returns
   * false (and changes nothing) when this driver does not allow it.
   */
  static boolean apply(Connection c) {
    return set(c, Long.MAX_VALUE);
  }

  /** Undoes {@link #apply}: pgjdbc's own behaviour again. */
  static void restore(Connection c) {
    set(c, 0L);
  }

  /** The stream's next-check time (for tests), or -1 when it cannot be read. */
  static long nextCheck(Connection c) {
    PGStream stream = stream(c);
    if (stream == null) {
      return -1;
    }
    try {
      return NEXT_CHECK.getLong(stream);
    } catch (IllegalAccessException e) {
      return -1;
    }
  }

  private static boolean set(Connection c, long value) {
    PGStream stream = stream(c);
    if (stream == null) {
      return false;
    }
    try {
      NEXT_CHECK.setLong(stream, value);
      return true;
    } catch (IllegalAccessException | RuntimeException e) {
      log.debug("errand: could not set pgjdbc's notification check time", e);
      return false;
    }
  }

  private static PGStream stream(Connection c) {
    if (!available()) {
      return null;
    }
    try {
      QueryExecutor qe = c.unwrap(BaseConnection.class).getQueryExecutor();
      if (!(qe instanceof QueryExecutorBase)) {
        return null;
      }
      return (PGStream) STREAM.get(qe);
    } catch (SQLException | IllegalAccessException | RuntimeException e) {
      log.debug("errand: could not reach pgjdbc's stream of a listening connection", e);
      return null;
    }
  }
}
