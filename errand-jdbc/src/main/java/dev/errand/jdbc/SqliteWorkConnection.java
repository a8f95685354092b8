package dev.errand.jdbc;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;

/**
 * The view of the store's write connection that {@link dev.errand.TransactionWork} gets: it reports
 * auto-commit off (it is inside the store's transaction), refuses {@code commit}, {@code rollback},
 * {@code setAutoCommit}, {@code close} and {@code abort} (the store ends the transaction), and
 * stops working once the work has returned, so a leaked reference cannot write outside the
 * transaction. Rolling back to a savepoint is allowed.
 */
final class SqliteWorkConnection implements InvocationHandler {
  private final Connection target;
  private volatile boolean expired;

  private SqliteWorkConnection(Connection target) {
    this.target = target;
  }

  /** A guarded view of {@code target} and the handle to expire it. */
  static SqliteWorkConnection over(Connection target) {
    return new SqliteWorkConnection(target);
  }

  Connection connection() {
    return (Connection)
        Proxy.newProxyInstance(
            Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, this);
  }

  void expire() {
    expired = true;
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    String name = method.getName();
    int arity = args == null ? 0 : args.length;
    switch (name) {
      case "equals":
        return proxy == args[0];
      case "hashCode":
        return System.identityHashCode(proxy);
      case "toString":
        return "errand transaction connection (" + target + ")";
      case "isClosed":
        return expired || target.isClosed();
      case "getAutoCommit":
        check(name);
        return false;
      case "commit":
      case "setAutoCommit":
      case "close":
      case "abort":
        throw new SQLException(
            name
                + "() is not allowed here: this connection belongs to the"
                + " Errand job store's transaction, which commits or rolls back when the work"
                + " returns or throws");
      case "rollback":
        if (arity == 1 && args[0] instanceof Savepoint) {
          break;
        }
        throw new SQLException(
            "rollback() is not allowed here: throw from the work to roll the"
                + " transaction back");
      case "unwrap":
      case "isWrapperFor":
        if (args[0] instanceof Class<?> iface && iface.isInstance(proxy)) {
          return name.equals("unwrap") ? proxy : Boolean.TRUE;
        }
        break;
      default:
        break;
    }
    check(name);
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private void check(String name) throws SQLException {
    if (expired) {
      throw new SQLException(
          name
              + "() called after the transaction of this Errand job ended;"
              + " use the connection only inside the work");
    }
  }
}
