package dev.errand.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.errand.Backoff;
import dev.errand.Errand;
import dev.errand.Schedule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ServerConfigTest {
  @TempDir Path dir;

  private static ServerConfig load(Map<String, String> env) {
    return ServerConfig.load(env, null, Map.of());
  }

  private Path file(String name, String... lines) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, List.of(lines));
    return p;
  }

  @Test
  void with_nothing_set_every_default_applies_and_runs_the_demo_on_sqlite() {
    ServerConfig c = load(Map.of());
    assertThat(c.port()).isEqualTo(7070);
    assertThat(c.store().kind()).isEqualTo(ServerConfig.StoreKind.SQLITE);
    assertThat(c.store().sqliteFile()).isEqualTo(Path.of("errand-demo.db"));
    assertThat(c.store().poolSize()).isEqualTo(10);
    assertThat(c.apiKeys()).isEmpty();
    assertThat(c.queues()).containsExactly(Map.entry("default", 4), Map.entry("email", 2));
    assertThat(c.shutdownGrace()).isEqualTo(Duration.ofSeconds(10));
    // the engine's own defaults (Errand.Builder), so an unset variable changes nothing
    assertThat(c.workers())
        .isEqualTo(
            new ServerConfig.Workers(
                Duration.ofSeconds(15),
                Duration.ofSeconds(5),
                Duration.ofSeconds(1),
                100,
                1000,
                Errand.Builder.DEFAULT_COOLDOWN,
                Errand.Builder.DEFAULT_COOLDOWN));
    assertThat(c.retry().maxAttempts()).isEqualTo(20);
    assertThat(c.retry().backoff())
        .isEqualTo(Backoff.exponential(Duration.ofSeconds(2)).withCap(Duration.ofHours(1)));
    assertThat(c.httpJobs())
        .isEqualTo(new ServerConfig.HttpJobs("default", List.of(), 1024, Duration.ofHours(1)));
    assertThat(c.retention())
        .isEqualTo(new ServerConfig.Retention(Duration.ofDays(1), Duration.ofDays(14)));
    assertThat(c.maintenance())
        .isEqualTo(
            new ServerConfig.Maintenance(
                Schedule.every(Duration.ofMinutes(1)), Schedule.every(Duration.ofMinutes(5))));
    assertThat(c.logging())
        .isEqualTo(new ServerConfig.Logging("INFO", ServerConfig.LogFormat.TEXT));
    assertThat(c.alerts())
        .isEqualTo(
            new ServerConfig.Alerts(
                null,
                true,
                true,
                0.5,
                Duration.ofMinutes(5),
                20,
                Duration.ofMinutes(1),
                Duration.ofMinutes(15),
                Duration.ofSeconds(30)));
    assertThat(c.demo()).isTrue();
    assertThat(c.sources().values()).containsOnly("default");
  }

  @Test
  void environment_variables_set_every_concern() {
    Map<String, String> env = new HashMap<>();
    env.put("ERRAND_PORT", "8080");
    env.put("ERRAND_STORE_URL", "jdbc:postgresql://db.internal:5432/errand?sslmode=require");
    env.put("ERRAND_STORE_USER", "errand");
    env.put("ERRAND_STORE_PASSWORD", "hunter2hunter2");
    env.put("ERRAND_STORE_POOL_SIZE", "24");
    env.put(
        "ERRAND_API_KEYS", "0123456789abcdef0123:read, fedcba9876543210fedc:read+enqueue+ADMIN");
    env.put("ERRAND_QUEUES", "default=8, hooks=2");
    env.put("ERRAND_SHUTDOWN_GRACE", "PT30S");
    env.put("ERRAND_LEASE", "3s");
    env.put("ERRAND_RESCUE_INTERVAL", "500ms");
    env.put("ERRAND_POLL_INTERVAL", "250ms");
    env.put("ERRAND_CLAIM_BATCH", "20");
    env.put("ERRAND_COMPLETION_BATCH", "50");
    env.put("ERRAND_CLAIM_COOLDOWN", "0s");
    env.put("ERRAND_COMPLETION_COOLDOWN", "5ms");
    env.put("ERRAND_RETRY_MAX_ATTEMPTS", "5");
    env.put("ERRAND_RETRY_BACKOFF", "500ms");
    env.put("ERRAND_RETRY_BACKOFF_CAP", "10m");
    env.put("ERRAND_RETRY_JITTER", "0.2");
    env.put("ERRAND_HTTP_QUEUE", "hooks");
    env.put("ERRAND_HTTP_ALLOWED_HOSTS", "api.example.com, *.internal.example.com,10.0.0.5");
    env.put("ERRAND_HTTP_EXCERPT_BYTES", "0");
    env.put("ERRAND_HTTP_MAX_RETRY_AFTER", "2h");
    env.put("ERRAND_RETENTION_SUCCEEDED", "12h");
    env.put("ERRAND_RETENTION_FAILED", "30d");
    env.put("ERRAND_PRUNE_SCHEDULE", "daily:02:00@Europe/London");
    env.put("ERRAND_ORPHANS_SCHEDULE", "weekly:SUNDAY 03:00@UTC");
    env.put("ERRAND_LOG_LEVEL", "debug");
    env.put("ERRAND_LOG_FORMAT", "JSON");
    env.put("ERRAND_ALERT_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/secret");
    env.put("ERRAND_ALERT_LOG", "false");
    env.put("ERRAND_ALERT_DEAD_LETTERS", "no");
    env.put("ERRAND_ALERT_FAILURE_RATE", "25%");
    env.put("ERRAND_ALERT_WINDOW", "10m");
    env.put("ERRAND_ALERT_MIN_ATTEMPTS", "50");
    env.put("ERRAND_ALERT_NODE_STALE_AFTER", "90s");
    env.put("ERRAND_ALERT_COOLDOWN", "1h");
    env.put("ERRAND_ALERT_CHECK_INTERVAL", "15s");
    env.put("ERRAND_DEMO", "false");
    ServerConfig c = load(env);
    assertThat(c.port()).isEqualTo(8080);
    assertThat(c.store())
        .isEqualTo(
            new ServerConfig.Store(
                "jdbc:postgresql://db.internal:5432/errand?sslmode=require",
                ServerConfig.StoreKind.POSTGRES,
                null,
                "errand",
                "hunter2hunter2",
                24));
    assertThat(c.apiKeys())
        .containsExactly(
            new ServerConfig.ApiKey("0123456789abcdef0123", EnumSet.of(ServerConfig.Scope.READ)),
            new ServerConfig.ApiKey(
                "fedcba9876543210fedc", EnumSet.allOf(ServerConfig.Scope.class)));
    assertThat(c.queues()).containsExactly(Map.entry("default", 8), Map.entry("hooks", 2));
    assertThat(c.shutdownGrace()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.workers())
        .isEqualTo(
            new ServerConfig.Workers(
                Duration.ofSeconds(3),
                Duration.ofMillis(500),
                Duration.ofMillis(250),
                20,
                50,
                Duration.ZERO,
                Duration.ofMillis(5)));
    assertThat(c.retry())
        .isEqualTo(
            new ServerConfig.Retry(
                5,
                Backoff.exponential(Duration.ofMillis(500))
                    .withCap(Duration.ofMinutes(10))
                    .withJitter(0.2)));
    assertThat(c.httpJobs())
        .isEqualTo(
            new ServerConfig.HttpJobs(
                "hooks",
                List.of("api.example.com", "*.internal.example.com", "10.0.0.5"),
                0,
                Duration.ofHours(2)));
    assertThat(c.retention())
        .isEqualTo(new ServerConfig.Retention(Duration.ofHours(12), Duration.ofDays(30)));
    assertThat(c.maintenance())
        .isEqualTo(
            new ServerConfig.Maintenance(
                Schedule.daily(LocalTime.of(2, 0), ZoneId.of("Europe/London")),
                Schedule.weekly(DayOfWeek.SUNDAY, LocalTime.of(3, 0), ZoneId.of("UTC"))));
    assertThat(c.logging())
        .isEqualTo(new ServerConfig.Logging("DEBUG", ServerConfig.LogFormat.JSON));
    assertThat(c.alerts())
        .isEqualTo(
            new ServerConfig.Alerts(
                "https://hooks.slack.com/services/T0/B0/secret",
                false,
                false,
                0.25,
                Duration.ofMinutes(10),
                50,
                Duration.ofSeconds(90),
                Duration.ofHours(1),
                Duration.ofSeconds(15)));
    assertThat(c.demo()).isFalse();
    assertThat(c.describe())
        .doesNotContain("hunter2", "secret", "0123456789abcdef0123")
        .contains("password=***", "webhook=***");
  }

  @Test
  void the_environment_wins_over_the_file_and_the_command_line_wins_over_both() throws IOException {
    Path f =
        file(
            "errand.properties",
            "# a comment",
            "port=8000",
            "store.url=jdbc:sqlite:from-file.db",
            "alert.failure.rate=0.9",
            "queues=default=2");
    ServerConfig fileOnly = ServerConfig.load(Map.of(), f, Map.of());
    assertThat(fileOnly.port()).isEqualTo(8000);
    assertThat(fileOnly.alerts().failureRate()).isEqualTo(0.9);
    assertThat(fileOnly.sources())
        .containsEntry(ServerSetting.PORT, "file")
        .containsEntry(ServerSetting.LOG_LEVEL, "default");

    ServerConfig both =
        ServerConfig.load(
            Map.of("ERRAND_PORT", "9000", "ERRAND_CONFIG_FILE", f.toString()),
            null,
            Map.of(ServerSetting.STORE_URL, "jdbc:sqlite:from-option.db"));
    assertThat(both.port()).isEqualTo(9000);
    assertThat(both.store().sqliteFile()).isEqualTo(Path.of("from-option.db"));
    assertThat(both.queues()).containsEntry("default", 2);
    assertThat(both.sources())
        .containsEntry(ServerSetting.PORT, "environment")
        .containsEntry(ServerSetting.QUEUES, "file");
  }

  @Test
  void an_empty_queue_list_without_the_demo_serves_nothing_and_then_the_http_queue_is_rejected() {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class, () -> load(Map.of("ERRAND_QUEUES", "", "ERRAND_DEMO", "false")));
    assertThat(e.problems())
        .containsExactly(
            "ERRAND_HTTP_QUEUE (default) is 'default': this node does not serve"
                + " that queue; add default=N to ERRAND_QUEUES or pick one of []");
  }

  static Stream<Arguments> badValues() {
    return Stream.of(
        Arguments.of("ERRAND_PORT", "abc", "not a whole number; give one from 0 to 65535"),
        Arguments.of("ERRAND_PORT", "70000", "out of range; give a whole number from 0 to 65535"),
        Arguments.of("ERRAND_PORT", "-1", "out of range"),
        Arguments.of(
            "ERRAND_HOST",
            "my host",
            "give an IP address (127.0.0.1, 0.0.0.0, ::1) or a host name"),
        Arguments.of("ERRAND_HOST", "", "give an IP address"),
        Arguments.of(
            "ERRAND_STORE_URL",
            "jdbc:mysql://db/errand",
            "use jdbc:sqlite:FILE (one node) or jdbc:postgresql://"),
        Arguments.of("ERRAND_STORE_URL", "jdbc:sqlite:", "give a database file"),
        Arguments.of(
            "ERRAND_STORE_URL", "jdbc:sqlite::memory:", "in-memory databases lose every job"),
        Arguments.of("ERRAND_STORE_URL", "postgres://db/errand", "not a supported store"),
        Arguments.of("ERRAND_STORE_USER", "errand", "SQLite has no users"),
        Arguments.of(
            "ERRAND_STORE_PASSWORD", "hunter2", "(secret, not shown): SQLite has no passwords"),
        Arguments.of("ERRAND_STORE_POOL_SIZE", "0", "from 1 to 64"),
        Arguments.of("ERRAND_STORE_POOL_SIZE", "65", "from 1 to 64"),
        Arguments.of("ERRAND_API_KEYS", "short:read", "key 1 must be 16-200 characters"),
        Arguments.of("ERRAND_API_KEYS", "0123456789abcdef0123", "key 1 has no scopes"),
        Arguments.of(
            "ERRAND_API_KEYS", "0123456789abcdef0123:write", "key 1 has unknown scope 'write'"),
        Arguments.of(
            "ERRAND_API_KEYS",
            "0123456789abcdef0123:read,0123456789abcdef0123:admin",
            "key 2 is listed twice"),
        Arguments.of("ERRAND_QUEUES", "default", "'default' is not QUEUE=CONCURRENCY"),
        Arguments.of(
            "ERRAND_QUEUES",
            "default=x",
            "the concurrency of queue 'default' is not a whole number"),
        Arguments.of("ERRAND_QUEUES", "bad name=2", "queue name 'bad name' is not valid"),
        Arguments.of(
            "ERRAND_QUEUES", "default=0", "concurrency of queue 'default' must be 1-10000, got 0"),
        Arguments.of("ERRAND_QUEUES", "default=2,default=3", "queue 'default' is configured twice"),
        Arguments.of(
            "ERRAND_SHUTDOWN_GRACE",
            "ten seconds",
            "not a duration; use a whole number with ms, s, m, h or d"),
        Arguments.of("ERRAND_SHUTDOWN_GRACE", "-PT1S", "negative"),
        Arguments.of("ERRAND_LEASE", "500ms", "too short; give at least 1000 ms"),
        Arguments.of("ERRAND_RESCUE_INTERVAL", "10ms", "too short; give at least 100 ms"),
        Arguments.of("ERRAND_POLL_INTERVAL", "1ms", "too short; give at least 10 ms"),
        Arguments.of("ERRAND_POLL_INTERVAL", "often", "not a duration"),
        Arguments.of("ERRAND_CLAIM_BATCH", "0", "from 1 to 10000"),
        Arguments.of("ERRAND_COMPLETION_BATCH", "10001", "from 1 to 10000"),
        Arguments.of("ERRAND_CLAIM_COOLDOWN", "2s", "too long; give at most 1s"),
        Arguments.of("ERRAND_COMPLETION_COOLDOWN", "-PT0.001S", "negative"),
        Arguments.of("ERRAND_RETRY_MAX_ATTEMPTS", "0", "from 1 to 1000"),
        Arguments.of("ERRAND_RETRY_BACKOFF", "0s", "too short; give at least 1 ms"),
        Arguments.of("ERRAND_RETRY_BACKOFF_CAP", "1s", "shorter than ERRAND_RETRY_BACKOFF (PT2S)"),
        Arguments.of("ERRAND_RETRY_JITTER", "2", "give a fraction from 0 to 1"),
        Arguments.of("ERRAND_RETRY_JITTER", "lots", "not a number"),
        Arguments.of(
            "ERRAND_HTTP_QUEUE",
            "hooks",
            "this node does not serve that queue; add hooks=N to ERRAND_QUEUES"),
        Arguments.of(
            "ERRAND_HTTP_ALLOWED_HOSTS",
            "https://api.example.com",
            "allowed host 'https://api.example.com' is not a host name"),
        Arguments.of(
            "ERRAND_HTTP_ALLOWED_HOSTS", "api.example.com,", "allowed host '' is not a host name"),
        Arguments.of("ERRAND_HTTP_EXCERPT_BYTES", "-1", "from 0 to 1048576"),
        Arguments.of("ERRAND_HTTP_MAX_RETRY_AFTER", "soon", "not a duration"),
        Arguments.of("ERRAND_RETENTION_SUCCEEDED", "1 week", "not a duration"),
        Arguments.of("ERRAND_RETENTION_FAILED", "2w", "not a duration"),
        Arguments.of("ERRAND_PRUNE_SCHEDULE", "nightly", "schedule 'nightly' has no kind"),
        Arguments.of("ERRAND_ORPHANS_SCHEDULE", "weekly:FUNDAY 03:00@UTC", "FUNDAY"),
        Arguments.of("ERRAND_LOG_LEVEL", "LOUD", "use TRACE, DEBUG, INFO, WARN, ERROR or OFF"),
        Arguments.of("ERRAND_LOG_FORMAT", "xml", "use text or json"),
        Arguments.of(
            "ERRAND_ALERT_WEBHOOK_URL",
            "ftp://hooks.example.com/T0/secret",
            "(secret, not shown): webhook URL must be an absolute http:// or https:// URL"),
        Arguments.of("ERRAND_ALERT_LOG", "maybe", "not a boolean; use true or false"),
        Arguments.of("ERRAND_ALERT_DEAD_LETTERS", "2", "not a boolean"),
        Arguments.of("ERRAND_ALERT_FAILURE_RATE", "0", "give a fraction above 0 and at most 1"),
        Arguments.of("ERRAND_ALERT_FAILURE_RATE", "150%", "give a fraction above 0 and at most 1"),
        Arguments.of("ERRAND_ALERT_FAILURE_RATE", "half", "not a number"),
        Arguments.of("ERRAND_ALERT_WINDOW", "500ms", "too short; give at least 1000 ms (e.g. 1s)"),
        Arguments.of("ERRAND_ALERT_MIN_ATTEMPTS", "0", "from 1 to 1000000"),
        Arguments.of(
            "ERRAND_ALERT_NODE_STALE_AFTER", "10s", "too short; give at least 20000 ms (e.g. 20s)"),
        Arguments.of("ERRAND_ALERT_COOLDOWN", "0s", "too short"),
        Arguments.of("ERRAND_ALERT_CHECK_INTERVAL", "often", "not a duration"),
        Arguments.of("ERRAND_DEMO", "sometimes", "not a boolean"));
  }

  @ParameterizedTest(name = "{0}={1}")
  @MethodSource("badValues")
  void a_bad_environment_value_is_rejected_naming_the_variable_and_the_fix(
      String name, String value, String fix) {
    ConfigException e =
        catchThrowableOfType(ConfigException.class, () -> load(Map.of(name, value)));
    assertThat(e).as("%s=%s must be rejected", name, value).isNotNull();
    assertThat(e.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p).startsWith(name + " is ");
              assertThat(p).contains(fix);
              if (name.contains("PASSWORD")
                  || name.contains("WEBHOOK")
                  || name.contains("API_KEYS")) {
                assertThat(p).doesNotContain(value);
              }
            });
  }

  @Test
  void every_setting_has_a_rejection_test_unless_any_text_is_valid() {
    List<String> tested = badValues().map(a -> (String) a.get()[0]).toList();
    for (ServerSetting s : ServerSetting.values()) {
      if (s != ServerSetting.STORE_USER && s != ServerSetting.STORE_PASSWORD) {
        assertThat(tested).as("a bad value of %s", s.env()).contains(s.env());
      }
    }
  }

  @Test
  void every_bad_value_is_reported_at_once() {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class,
            () ->
                load(
                    Map.of(
                        "ERRAND_PORT",
                        "x",
                        "ERRAND_LOG_LEVEL",
                        "LOUD",
                        "ERRAND_ALERT_WINDOW",
                        "1ms")));
    assertThat(e.problems()).hasSize(3);
    assertThat(e.getMessage()).startsWith("invalid configuration:\n  - ERRAND_PORT is 'x'");
  }

  @Test
  void a_bad_file_value_names_the_key_the_file_and_the_variable() throws IOException {
    Path f = file("errand.properties", "store.pool.size=500");
    ConfigException e =
        catchThrowableOfType(ConfigException.class, () -> ServerConfig.load(Map.of(), f, Map.of()));
    assertThat(e.problems())
        .containsExactly(
            "'store.pool.size' in "
                + f
                + " (ERRAND_STORE_POOL_SIZE) is '500':"
                + " out of range; give a whole number from 1 to 64");
  }

  @Test
  void an_unknown_file_key_is_rejected_and_an_unknown_errand_variable_is_a_warning()
      throws IOException {
    Path f = file("errand.properties", "stor.url=jdbc:sqlite:x.db");
    ConfigException e =
        catchThrowableOfType(ConfigException.class, () -> ServerConfig.load(Map.of(), f, Map.of()));
    assertThat(e.problems())
        .singleElement()
        .asString()
        .startsWith("'stor.url' in " + f + " is not a setting; known keys: [")
        .contains("store.url");
    ServerConfig c = load(Map.of("ERRAND_QUEUS", "default=2", "PATH", "/bin"));
    assertThat(c.warnings())
        .containsExactly("ERRAND_QUEUS is set but is not a server setting (typo?); it is ignored");
  }

  @Test
  void a_missing_or_yaml_config_file_is_rejected_with_its_path() throws IOException {
    Path missing = dir.resolve("nope.properties");
    assertThatThrownBy(() -> load(Map.of("ERRAND_CONFIG_FILE", missing.toString())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "ERRAND_CONFIG_FILE '"
                + missing
                + "' cannot be read (java.nio.file.NoSuchFileException");
    Path yaml = file("errand.yaml", "port: 8080");
    assertThatThrownBy(() -> ServerConfig.load(Map.of(), yaml, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("config file '" + yaml + "' is not a .properties file");
  }

  @Test
  void durations_take_units_or_iso_8601() {
    assertThat(SettingReader.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(SettingReader.parseDuration("45s")).isEqualTo(Duration.ofSeconds(45));
    assertThat(SettingReader.parseDuration("5M")).isEqualTo(Duration.ofMinutes(5));
    assertThat(SettingReader.parseDuration("3h")).isEqualTo(Duration.ofHours(3));
    assertThat(SettingReader.parseDuration("2d")).isEqualTo(Duration.ofDays(2));
    assertThat(SettingReader.parseDuration("PT1H30M")).isEqualTo(Duration.ofMinutes(90));
  }

  @Test
  void every_setting_is_documented_with_its_variable_file_key_and_default() throws IOException {
    String doc = Files.readString(Path.of("..", "docs", "server-config.md"));
    for (ServerSetting s : ServerSetting.values()) {
      assertThat(doc)
          .as("docs/server-config.md row of %s", s.env())
          .contains(
              "| `"
                  + s.env()
                  + "` | `"
                  + s.fileKey()
                  + "` | "
                  + (s.defaultValue().isEmpty() ? "—" : "`" + s.defaultValue() + "`")
                  + " |");
    }
  }
}
