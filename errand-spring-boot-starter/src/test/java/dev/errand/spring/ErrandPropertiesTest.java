package dev.errand.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.errand.Errand;
import dev.errand.JobType;
import dev.errand.MemoryJobStore;
import dev.errand.jdbc.SchemaMode;
import dev.errand.jdbc.SqliteJobStore;
import dev.errand.spi.JobStore;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@code errand.*} binds onto the engine, and values the core would reject fail startup with a
 * message naming the property. The store is an application {@link MemoryJobStore} bean, so no
 * database is involved.
 */
class ErrandPropertiesTest {
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(ErrandAutoConfiguration.class))
          .withUserConfiguration(MemoryStore.class);

  @Configuration(proxyBeanMethods = false)
  static class MemoryStore {
    @Bean
    JobStore jobStore() {
      return MemoryJobStore.create();
    }
  }

  @Test
  void defaults_are_the_core_builder_defaults() {
    ErrandProperties p = new ErrandProperties();
    assertThat(p.getLease()).isEqualTo(Errand.Builder.DEFAULT_LEASE);
    assertThat(p.getRescueInterval()).isEqualTo(Errand.Builder.DEFAULT_RESCUE_INTERVAL);
    assertThat(p.getPollInterval()).isEqualTo(Errand.Builder.DEFAULT_POLL_INTERVAL);
    assertThat(p.getClaimBatch()).isEqualTo(Errand.Builder.DEFAULT_CLAIM_BATCH);
    assertThat(p.getCompletionBatch()).isEqualTo(Errand.Builder.DEFAULT_COMPLETION_BATCH);
    assertThat(p.getShutdownGrace()).isEqualTo(Errand.Builder.DEFAULT_SHUTDOWN_GRACE);
    assertThat(p.getQuarantineAfterRescues()).isEqualTo(Errand.Builder.DEFAULT_QUARANTINE_AFTER);
    assertThat(p.getRetention().getSucceeded())
        .isEqualTo(Errand.Builder.DEFAULT_SUCCEEDED_RETENTION);
    assertThat(p.getRetention().getFailed()).isEqualTo(Errand.Builder.DEFAULT_FAILED_RETENTION);
    assertThat(p.getScheduler().getInterval()).isEqualTo(Errand.Builder.DEFAULT_SCHEDULER_INTERVAL);
    assertThat(p.getScheduler().getMisfireThreshold())
        .isEqualTo(Errand.Builder.DEFAULT_MISFIRE_THRESHOLD);
    assertThat(p.getScheduler().getMaxStartAge())
        .isEqualTo(Errand.Builder.DEFAULT_SCHEDULE_MAX_START_AGE);
    assertThat(p.getSqlite().getSynchronous()).isEqualTo(SqliteJobStore.DEFAULT_SYNCHRONOUS);
    assertThat(p.getSqlite().getBusyTimeout()).isEqualTo(SqliteJobStore.DEFAULT_BUSY_TIMEOUT);
    assertThat(p.getSqlite().getReadConnections())
        .isEqualTo(SqliteJobStore.DEFAULT_READ_CONNECTIONS);
    assertThat(p.getSchemaMode()).isEqualTo(SchemaMode.MIGRATE);
    assertThat(p.effectiveQueues())
        .containsExactly(
            java.util.Map.entry(
                ErrandProperties.DEFAULT_QUEUE, ErrandProperties.DEFAULT_CONCURRENCY));
    assertThat(ErrandProperties.DEFAULT_QUEUE).isEqualTo(JobType.DEFAULT_QUEUE);
  }

  @Test
  void properties_bind_onto_the_started_engine() {
    runner
        .withPropertyValues(
            "errand.node-id=web-1",
            "errand.queues.email=2",
            "errand.queues.reports=3",
            "errand.lease=30s",
            "errand.heartbeat-interval=5s",
            "errand.schema-mode=validate",
            "errand.sqlite.synchronous=normal",
            "errand.retention.failed=30d",
            "errand.scheduler.enabled=false")
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              Errand errand = context.getBean(Errand.class);
              assertThat(errand.nodeId()).isEqualTo("web-1");
              assertThat(errand.lifecycle()).isEqualTo(Errand.Lifecycle.RUNNING);
              assertThat(errand.nodes())
                  .singleElement()
                  .satisfies(
                      n ->
                          assertThat(n.queues())
                              .containsExactlyInAnyOrderEntriesOf(
                                  java.util.Map.of("email", 2, "reports", 3)));
              ErrandProperties p = context.getBean(ErrandProperties.class);
              assertThat(p.getLease()).isEqualTo(Duration.ofSeconds(30));
              assertThat(p.getSchemaMode()).isEqualTo(SchemaMode.VALIDATE);
              assertThat(p.getSqlite().getSynchronous())
                  .isEqualTo(SqliteJobStore.Synchronous.NORMAL);
              assertThat(p.getRetention().getFailed()).isEqualTo(Duration.ofDays(30));
            });
  }

  @Test
  void without_queues_the_node_serves_the_default_queue() {
    runner.run(
        context ->
            assertThat(context.getBean(Errand.class).nodes())
                .singleElement()
                .satisfies(n -> assertThat(n.queues()).containsEntry("default", 4)));
  }

  @Test
  void with_workers_disabled_the_node_only_enqueues() {
    runner
        .withPropertyValues("errand.workers-enabled=false", "errand.scheduler.enabled=false")
        .run(
            context ->
                assertThat(context.getBean(Errand.class).nodes())
                    .singleElement()
                    .satisfies(n -> assertThat(n.queues()).isEmpty()));
  }

  @Test
  void a_lease_below_one_second_fails_startup_naming_the_property() {
    runner
        .withPropertyValues("errand.lease=500ms")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining(
                        "errand.lease=PT0.5S is invalid: lease must be at least PT1S, got PT0.5S"));
  }

  @Test
  void a_queue_concurrency_of_zero_fails_startup_naming_the_queue() {
    runner
        .withPropertyValues("errand.queues.email=0")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining(
                        "errand.queues.email=0 is invalid: concurrency of queue 'email' must be 1-10000, got 0"));
  }

  @Test
  void an_invalid_queue_name_fails_startup_naming_it() {
    runner
        .withPropertyValues("errand.queues.[bad name]=2")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("errand.queues.bad name=2 is invalid:")
                    .hasMessageContaining("queue name 'bad name' is not valid"));
  }

  @Test
  void a_heartbeat_not_below_half_the_lease_fails_startup_naming_both_properties() {
    runner
        .withPropertyValues("errand.lease=10s", "errand.heartbeat-interval=5s")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining(
                        "errand.heartbeat-interval=PT5S is invalid: it must be below half"
                            + " of errand.lease (PT10S)"));
  }

  @Test
  void every_invalid_value_is_reported_not_only_the_first() {
    runner
        .withPropertyValues(
            "errand.claim-batch=0",
            "errand.claim-cooldown=2s",
            "errand.completion-cooldown=-1ms",
            "errand.sqlite.read-connections=99",
            "errand.scheduler.interval=1ms")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining(
                        "errand.claim-batch=0 is invalid: claimBatch must be 1-10000")
                    .hasMessageContaining(
                        "errand.claim-cooldown=PT2S is invalid: claimCooldown must be at most PT1S")
                    .hasMessageContaining(
                        "errand.completion-cooldown=PT-0.001S is invalid: completionCooldown must"
                            + " be at least PT0S")
                    .hasMessageContaining("errand.sqlite.read-connections=99 is invalid")
                    .hasMessageContaining("errand.scheduler.interval=PT0.001S is invalid"));
  }

  @Test
  void after_response_settings_bind_and_bad_ones_fail_startup_naming_the_property() {
    runner
        .withPropertyValues(
            "errand.after-response.saturation=caller-runs", "errand.after-response.threads=3")
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(dev.errand.AfterResponseLane.class);
              ErrandProperties.AfterResponse a =
                  context.getBean(ErrandProperties.class).getAfterResponse();
              assertThat(a.getSaturation()).isEqualTo(dev.errand.Saturation.CALLER_RUNS);
              assertThat(a.getThreads()).isEqualTo(3);
            });
    runner
        .withPropertyValues(
            "errand.after-response.threads=0", "errand.after-response.task-timeout=0s")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining(
                        "errand.after-response.threads=0 is invalid: it must be at least 1")
                    .hasMessageContaining(
                        "errand.after-response.task-timeout=PT0S is invalid: it must be positive"));
  }

  @Test
  void after_response_defaults_are_the_lane_builder_defaults() {
    ErrandProperties.AfterResponse a = new ErrandProperties().getAfterResponse();
    assertThat(a.getThreads()).isEqualTo(dev.errand.AfterResponseLane.Builder.DEFAULT_THREADS);
    assertThat(a.getQueueCapacity())
        .isEqualTo(dev.errand.AfterResponseLane.Builder.DEFAULT_QUEUE_CAPACITY);
    assertThat(a.getMaxTasksPerRequest())
        .isEqualTo(dev.errand.AfterResponseLane.Builder.DEFAULT_MAX_TASKS_PER_REQUEST);
    assertThat(a.getSaturation())
        .isEqualTo(dev.errand.AfterResponseLane.Builder.DEFAULT_SATURATION);
    assertThat(a.getWaitLimit()).isEqualTo(dev.errand.AfterResponseLane.Builder.DEFAULT_WAIT_LIMIT);
    assertThat(a.getTaskTimeout())
        .isEqualTo(dev.errand.AfterResponseLane.Builder.DEFAULT_TASK_TIMEOUT);
    assertThat(a.getShutdownGrace())
        .isEqualTo(dev.errand.AfterResponseLane.Builder.DEFAULT_SHUTDOWN_GRACE);
    assertThat(a.getCorrelationHeader())
        .isEqualTo(dev.errand.servlet.AfterResponseFilter.DEFAULT_CORRELATION_HEADER);
  }

  @Test
  void a_value_that_is_not_a_duration_fails_startup_naming_the_property() {
    runner
        .withPropertyValues("errand.poll-interval=soon")
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "Failed to bind properties under 'errand.poll-interval' to java.time.Duration"));
  }
}
