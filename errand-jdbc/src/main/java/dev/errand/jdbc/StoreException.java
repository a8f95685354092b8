package dev.errand.jdbc;

import java.sql.SQLException;

/**
 * A database operation of a JDBC store failed. Carries the operation and the SQLState; the cause is
 * the driver's {@link SQLException}.
 */
public class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String operation;
  private final String sqlState;

  public StoreException(String operation, SQLException cause) {
    super(
        "errand store operation '"
            + operation
            + "' failed (SQLState "
            + cause.getSQLState()
            + "): "
            + cause.getMessage(),
        cause);
    this.operation = operation;
    this.sqlState = cause.getSQLState();
  }

  public String operation() {
    return operation;
  }

  /** The driver's SQLState, or null. */
  public String sqlState() {
    return sqlState;
  }
}
