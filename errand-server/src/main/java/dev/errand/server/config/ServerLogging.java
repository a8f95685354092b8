package dev.errand.server.config;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.util.Iterator;
import org.slf4j.LoggerFactory;

/**
 * Applies {@link ServerConfig.Logging} to logback: the root level, and for {@code json} logback's
 * own {@link JsonEncoder} on every console/file appender of the root logger (one JSON object per
 * line with timestamp, level, thread, logger, MDC, key/value pairs, the formatted message and the
 * throwable). Call once at start, before the engine logs.
 */
public final class ServerLogging {
  /** The per-execution logger the demo silences (it prints counts instead). */
  public static final String JOB_LOGGER = "errand.job";

  private ServerLogging() {}

  /**
   * Applies {@code logging}; with {@code demo} the per-execution lines are off.
   *
   * @throws IllegalStateException if SLF4J is not bound to logback (the server jar always is)
   */
  public static void apply(ServerConfig.Logging logging, boolean demo) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
      throw new IllegalStateException(
          "SLF4J is bound to "
              + LoggerFactory.getILoggerFactory().getClass().getName()
              + ", not logback; ERRAND_LOG_LEVEL and ERRAND_LOG_FORMAT need logback-classic");
    }
    Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(logging.level()));
    ctx.getLogger(JOB_LOGGER).setLevel(demo ? Level.OFF : null);
    if (logging.format() == ServerConfig.LogFormat.JSON) {
      for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
        if (it.next() instanceof OutputStreamAppender<ILoggingEvent> out
            && !(out.getEncoder() instanceof JsonEncoder)) {
          // swapped in place: stopping the appender would close its stream for good
          Encoder<ILoggingEvent> text = out.getEncoder();
          out.setEncoder(jsonEncoder(ctx));
          text.stop();
        }
      }
    }
  }

  static JsonEncoder jsonEncoder(LoggerContext ctx) {
    JsonEncoder e = new JsonEncoder();
    e.setContext(ctx);
    e.setWithSequenceNumber(false);
    e.setWithNanoseconds(false);
    e.setWithContext(false);
    e.setWithMessage(false);
    e.setWithArguments(false);
    e.setWithFormattedMessage(true);
    e.start();
    return e;
  }
}
