package dev.errand.examples.recurring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalTime;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** 003's environment variables. */
class RecurringTasksConfigTest {

  @Test
  void the_seeds_environment_configures_the_worker_and_the_maintenance_windows() {
    Map<String, String> env =
        Map.of(
            "INTERNAL_API_KEY", "your-secret-internal-key",
            "WORKER_RETRY_ATTEMPTS", "3",
            "WORKER_RETRY_DELAY", "500",
            "WORKER_TIMEOUT", "10000",
            "DAILY_MAINTENANCE_TIME", "02:00",
            "WEEKLY_MAINTENANCE_DAY", "sunday",
            "WEEKLY_MAINTENANCE_TIME", "03:00",
            "JWT_SECRET", "your-jwt-secret",
            "ALLOWED_ORIGINS", "http://localhost:3000,http://localhost:3001");

    RecurringTasksConfig c = RecurringTasksConfig.fromEnv(env);

    assertThat(c.internalApiKey()).isEqualTo("your-secret-internal-key");
    assertThat(c.retryAttempts()).isEqualTo(3);
    assertThat(c.retryDelay()).isEqualTo(Duration.ofMillis(500));
    assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.dailyMaintenance()).isEqualTo(LocalTime.of(2, 0));
    assertThat(c.weeklyMaintenanceDay()).isEqualTo(DayOfWeek.SUNDAY);
    assertThat(c.weeklyMaintenance()).isEqualTo(LocalTime.of(3, 0));
    assertThat(c.port()).isEqualTo(3000);
  }

  @Test
  void without_variables_the_defaults_are_the_seeds() {
    RecurringTasksConfig c = RecurringTasksConfig.fromEnv(Map.of());
    assertThat(c.internalApiKey()).isNull();
    assertThat(c.retryAttempts()).isEqualTo(3);
    assertThat(c.retryDelay()).isEqualTo(Duration.ofMillis(500));
    assertThat(c.dailyMaintenance()).isEqualTo(LocalTime.of(2, 0));
  }

  @Test
  void a_bad_value_is_rejected_naming_its_variable() {
    assertThatThrownBy(() -> RecurringTasksConfig.fromEnv(Map.of("WORKER_RETRY_DELAY", "fast")))
        .hasMessageStartingWith("WORKER_RETRY_DELAY=fast is not valid");
    assertThatThrownBy(
            () -> RecurringTasksConfig.fromEnv(Map.of("WEEKLY_MAINTENANCE_DAY", "someday")))
        .hasMessageStartingWith("WEEKLY_MAINTENANCE_DAY=someday is not valid");
    assertThatThrownBy(() -> RecurringTasksConfig.fromEnv(Map.of("WORKER_RETRY_ATTEMPTS", "0")))
        .hasMessageContaining("retry attempts must be 1-20, got 0");
    assertThatThrownBy(() -> RecurringTasksConfig.fromEnv(Map.of("INTERNAL_API_KEY", " ")))
        .hasMessageContaining("must not be blank");
  }
}
