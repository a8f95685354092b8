package dev.errand;

import java.sql.Connection;

/**
 * Database work that runs in the same transaction as the write that marks a job succeeded.
 *
 * @param <R> what the work returns
 * @see JobContext#inTransaction(TransactionWork)
 */
@FunctionalInterface
public interface TransactionWork<R> {
  /**
   * Runs on {@code connection}, which has auto-commit off; do not commit, roll back or close it.
   */
  R run(Connection connection) throws Exception;
}
