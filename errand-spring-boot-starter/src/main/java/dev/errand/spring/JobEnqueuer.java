package dev.errand.spring;

import dev.errand.Enqueue;
import dev.errand.Errand;
import dev.errand.JobHandle;
import dev.errand.JobType;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Enqueues jobs, joining the current Spring transaction when there is one.
 *
 * <ul>
 *   <li>Inside a transaction that manages the Errand DataSource's connection ({@code
 *       DataSourceTransactionManager}, {@code JdbcTransactionManager}, {@code
 *       JpaTransactionManager} on that DataSource, i.e. {@code @Transactional}): the job is written
 *       with the transaction's own connection ({@link DataSourceUtils#getConnection}), so it exists
 *       if and only if the transaction commits. After the commit this node's workers for its queue
 *       are woken, so it starts at once rather than at the next poll; a rollback leaves no job and
 *       runs nothing.
 *   <li>Outside any transaction: a plain {@link Errand#enqueue}, committed when this returns.
 *   <li>Inside a transaction that does not manage that DataSource (another DataSource, JMS…), it
 *       refuses with {@link IllegalStateException} rather than silently commit the job on its own.
 * </ul>
 *
 * <p>Thread-safe; call it from any thread. The transaction is the calling thread's.
 */
public final class JobEnqueuer {
  private final Errand errand;
  private final DataSource dataSource;

  /**
   * An enqueuer on {@code errand} that joins transactions on {@code dataSource}, which must be the
   * database of the engine's JDBC store; {@code null} never joins (for a memory store).
   */
  public JobEnqueuer(Errand errand, DataSource dataSource) {
    this.errand = Objects.requireNonNull(errand, "errand");
    this.dataSource = dataSource;
  }

  /** The engine jobs are enqueued on. */
  public Errand errand() {
    return errand;
  }

  /** Enqueues one job to run as soon as a worker is free. */
  public <T> JobHandle enqueue(JobType<T> type, T payload) {
    return enqueue(type, payload, Enqueue.now());
  }

  /**
   * Enqueues one job, in the current transaction if there is one.
   *
   * @throws IllegalArgumentException if the type is not registered or the payload does not map
   * @throws IllegalStateException if a transaction is active that does not manage the DataSource
   */
  public <T> JobHandle enqueue(JobType<T> type, T payload, Enqueue options) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(options, "options");
    return write(
        type,
        options,
        c ->
            c == null
                ? errand.enqueue(type, payload, options)
                : errand.enqueue(c, type, payload, options));
  }

  /** Enqueues many jobs of one type in one write, in the current transaction if there is one. */
  public <T> List<JobHandle> enqueueAll(JobType<T> type, List<T> payloads, Enqueue options) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(options, "options");
    return write(
        type,
        options,
        c ->
            c == null
                ? errand.enqueueAll(type, payloads, options)
                : errand.enqueueAll(c, type, payloads, options));
  }

  /**
   * Enqueues one job of the registered type {@code typeName}; see {@link #enqueue(String, Object,
   * Enqueue)}.
   */
  public JobHandle enqueue(String typeName, Object payload) {
    return enqueue(typeName, payload, Enqueue.now());
  }

  /**
   * Enqueues one job of the type registered as {@code typeName} (for example by an {@link
   * ErrandJob} method), in the current transaction if there is one.
   *
   * @throws IllegalArgumentException naming the registered types if none is called {@code
   *     typeName}, or naming both classes if {@code payload} is not of the type's payload class
   */
  public JobHandle enqueue(String typeName, Object payload, Enqueue options) {
    JobType<?> type =
        errand
            .type(typeName)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "no job type '"
                            + typeName
                            + "' is registered; registered: "
                            + errand.typeNames()));
    return enqueueAs(type, payload, options);
  }

  private <T> JobHandle enqueueAs(JobType<T> type, Object payload, Enqueue options) {
    Objects.requireNonNull(payload, "payload");
    if (!type.payloadClass().isInstance(payload)) {
      throw new IllegalArgumentException(
          "job type '"
              + type.name()
              + "' takes "
              + type.payloadClass().getName()
              + ", got "
              + payload.getClass().getName());
    }
    return enqueue(type, type.payloadClass().cast(payload), options);
  }

  private <R> R write(JobType<?> type, Enqueue options, Function<Connection, R> enqueue) {
    if (dataSource == null || !TransactionSynchronizationManager.isActualTransactionActive()) {
      return enqueue.apply(null);
    }
    Connection c = DataSourceUtils.getConnection(dataSource);
    try {
      if (c.getAutoCommit()) {
        throw new IllegalStateException(
            "a Spring transaction is active, but it does not manage the"
                + " Errand DataSource's connection (it is in auto-commit mode), so the job could not"
                + " commit or roll back with it; enqueue inside a transaction of a"
                + " DataSourceTransactionManager or JpaTransactionManager on that DataSource, or"
                + " outside any transaction");
      }
      R result = enqueue.apply(c);
      String queue = options.queue() != null ? options.queue() : type.queue();
      if (TransactionSynchronizationManager.isSynchronizationActive()) {
        TransactionSynchronizationManager.registerSynchronization(
            new TransactionSynchronization() {
              @Override
              public void afterCommit() {
                errand.wake(queue);
              }
            });
      }
      return result;
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot read the transaction's connection: " + e.getMessage(), e);
    } finally {
      DataSourceUtils.releaseConnection(c, dataSource);
    }
  }
}
