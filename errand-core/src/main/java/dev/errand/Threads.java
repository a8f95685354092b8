package dev.errand;

import java.lang.reflect.Method;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Named threads, and virtual threads for handlers when the running JVM has them (21+). */
final class Threads {
  private static final boolean VIRTUAL = Runtime.version().feature() >= 21;

  private Threads() {}

  /** True if handlers run on virtual threads in this JVM. */
  static boolean virtual() {
    return VIRTUAL;
  }

  static ThreadFactory named(String prefix, boolean daemon) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(daemon);
      return t;
    };
  }

  /**
   * An executor that starts one thread per task: virtual threads named {@code prefix-N} on JDK 21+,
   * else platform daemon threads from a cached pool. Callers bound the number of tasks themselves.
   */
  static ExecutorService perTask(String prefix) {
    if (VIRTUAL) {
      try {
        Method perTask = Executors.class.getMethod("newThreadPerTaskExecutor", ThreadFactory.class);
        return (ExecutorService) perTask.invoke(null, virtualOrDaemon(prefix));
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(
            "this JVM reports version 21+ but has no virtual threads", e);
      }
    }
    return Executors.newCachedThreadPool(named(prefix, true));
  }

  /** Virtual threads named {@code prefix-N} on JDK 21+, else platform daemon threads so named. */
  static ThreadFactory virtualOrDaemon(String prefix) {
    if (!VIRTUAL) {
      return named(prefix, true);
    }
    try {
      Class<?> builder = Class.forName("java.lang.Thread$Builder");
      Object b = Thread.class.getMethod("ofVirtual").invoke(null);
      b = builder.getMethod("name", String.class, long.class).invoke(b, prefix + "-", 0L);
      return (ThreadFactory) builder.getMethod("factory").invoke(b);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("this JVM reports version 21+ but has no virtual threads", e);
    }
  }
}
