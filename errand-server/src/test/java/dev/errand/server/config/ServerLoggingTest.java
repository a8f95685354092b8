package dev.errand.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

class ServerLoggingTest {
  private final LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
  private final ch.qos.logback.classic.Logger root =
      ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

  @AfterEach
  void restoreLogbackXml() throws Exception {
    ctx.reset();
    new ContextInitializer(ctx).autoConfig();
  }

  private OutputStreamAppender<ILoggingEvent> capture(ByteArrayOutputStream out) {
    PatternLayoutEncoder text = new PatternLayoutEncoder();
    text.setContext(ctx);
    text.setPattern("%msg%n");
    text.start();
    OutputStreamAppender<ILoggingEvent> a = new OutputStreamAppender<>();
    a.setContext(ctx);
    a.setName("capture");
    a.setEncoder(text);
    a.setOutputStream(out);
    a.start();
    root.addAppender(a);
    return a;
  }

  @Test
  void json_format_writes_one_json_object_per_line_with_mdc_key_values_and_the_formatted_message()
      throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    capture(out);
    ServerLogging.apply(
        ServerConfig.load(Map.of("ERRAND_LOG_FORMAT", "json"), null, Map.of()).logging(), false);
    MDC.put("errand.job_id", "42");
    try {
      LoggerFactory.getLogger("errand.test")
          .atWarn()
          .addKeyValue("alert_kind", "job_dead")
          .log("job {} died", 42);
    } finally {
      MDC.remove("errand.job_id");
    }
    String[] lines = out.toString(StandardCharsets.UTF_8).strip().split("\n");
    assertThat(lines).hasSize(1);
    JsonNode line = new ObjectMapper().readTree(lines[0]);
    assertThat(line.get("level").asText()).isEqualTo("WARN");
    assertThat(line.get("loggerName").asText()).isEqualTo("errand.test");
    assertThat(line.get("formattedMessage").asText()).isEqualTo("job 42 died");
    assertThat(line.get("mdc").get("errand.job_id").asText()).isEqualTo("42");
    assertThat(line.get("kvpList").toString()).contains("\"alert_kind\":\"job_dead\"");
    assertThat(line.has("timestamp")).isTrue();
    assertThat(line.has("threadName")).isTrue();
  }

  @Test
  void text_format_keeps_the_pattern_and_the_level_and_demo_switch_apply() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    capture(out);
    ServerLogging.apply(new ServerConfig.Logging("WARN", ServerConfig.LogFormat.TEXT), true);
    assertThat(root.getLevel()).isEqualTo(Level.WARN);
    assertThat(ctx.getLogger(ServerLogging.JOB_LOGGER).getLevel()).isEqualTo(Level.OFF);
    LoggerFactory.getLogger("errand.test").info("hidden");
    LoggerFactory.getLogger("errand.test").warn("shown");
    assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("shown\n");

    ServerLogging.apply(new ServerConfig.Logging("DEBUG", ServerConfig.LogFormat.TEXT), false);
    assertThat(root.getLevel()).isEqualTo(Level.DEBUG);
    assertThat(ctx.getLogger(ServerLogging.JOB_LOGGER).getLevel()).isNull();
  }
}
