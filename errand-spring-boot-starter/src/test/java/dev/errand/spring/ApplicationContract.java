package dev.errand.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.errand.Errand;
import dev.errand.Job;
import dev.errand.JobHandle;
import dev.errand.JobQuery;
import dev.errand.JobState;
import dev.errand.spring.app.Audit;
import dev.errand.spring.app.Audits;
import dev.errand.spring.app.Ran;
import dev.errand.spring.app.Report;
import dev.errand.spring.app.Signups;
import dev.errand.spring.app.TestApp;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.actuate.endpoint.HealthEndpoint;
import org.springframework.boot.health.actuate.endpoint.IndicatedHealthDescriptor;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * One Spring Boot application on a real database, started once for the class with every
 * auto-configuration on the test classpath (JDBC, transactions, actuator, Micrometer, Jackson 3).
 * Subclasses give the database.
 *
 * <p>The poll interval is one hour, so a job that runs here was started by a wake-up (in-JVM
 * enqueue, commit of a transactional enqueue, PostgreSQL NOTIFY), never by a poll.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ApplicationContract {
  static final Duration WAIT = Duration.ofSeconds(20);

  ConfigurableApplicationContext context;
  Errand errand;
  Signups signups;
  Ran ran;
  JobEnqueuer jobs;

  /** The database: spring.datasource.* and anything else the subclass needs. */
  abstract Map<String, Object> databaseProperties();

  /** Called after the context is closed. */
  void closeDatabase() {}

  @BeforeAll
  void startApplication() {
    Map<String, Object> props = new java.util.HashMap<>(databaseProperties());
    props.put("errand.poll-interval", "1h");
    props.put("errand.queues.default", "4");
    props.put("errand.queues.reports", "2");
    props.put("errand.shutdown-grace", "2s");
    context =
        new SpringApplicationBuilder(TestApp.class)
            .web(WebApplicationType.NONE)
            .properties(props)
            .run();
    errand = context.getBean(Errand.class);
    signups = context.getBean(Signups.class);
    ran = context.getBean(Ran.class);
    jobs = context.getBean(JobEnqueuer.class);
    signups.createTable();
  }

  @AfterAll
  void stopApplication() {
    try {
      if (context != null) {
        context.close();
      }
    } finally {
      closeDatabase();
    }
  }

  static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  void the_engine_is_started_by_the_context_with_the_configured_queues() {
    assertThat(errand.lifecycle()).isEqualTo(Errand.Lifecycle.RUNNING);
    assertThat(errand.nodes())
        .anySatisfy(
            n -> {
              assertThat(n.id()).isEqualTo(errand.nodeId());
              assertThat(n.queues()).containsEntry("default", 4).containsEntry("reports", 2);
            });
    assertThat(errand.typeNames()).contains("welcome-email", "render-report", "audit");
  }

  @Test
  void a_handler_bean_runs_a_job_enqueued_outside_a_transaction() {
    String name = unique("plain");
    JobHandle job = jobs.enqueue("welcome-email", new dev.errand.spring.app.Welcome(name));

    await().atMost(WAIT).until(() -> ran.welcomed.contains(name));
    await().atMost(WAIT).until(() -> job.state() == JobState.SUCCEEDED);
    assertThat(job.job()).get().extracting(Job::maxAttempts).isEqualTo(5);
  }

  @Test
  void an_annotated_method_runs_its_jobs_with_the_annotation_options() {
    Report report = new Report(unique("report"), Instant.now().truncatedTo(ChronoUnit.MILLIS));
    JobHandle job = jobs.enqueue("render-report", report);

    await().atMost(WAIT).until(() -> ran.reports.contains(report));
    Job stored = job.job().orElseThrow();
    assertThat(stored.queue()).isEqualTo("reports");
    assertThat(stored.maxAttempts()).isEqualTo(3);
  }

  @Test
  void an_enqueue_in_a_committed_transaction_runs_the_job_after_the_commit() {
    String name = unique("committed");
    long id = signups.signUp(name, false);

    assertThat(signups.exists(name)).isTrue();
    await().atMost(WAIT).until(() -> ran.welcomed.contains(name));
    await()
        .atMost(WAIT)
        .until(() -> errand.job(id).map(Job::state).orElse(null) == JobState.SUCCEEDED);
  }

  @Test
  void an_enqueue_in_a_rolled_back_transaction_leaves_no_job_and_runs_nothing() {
    String name = unique("rolled-back");
    assertThatThrownBy(() -> signups.signUp(name, true)).hasMessageContaining("on purpose");
    long rolledBackId = signups.lastJobId();

    assertThat(signups.exists(name)).isFalse();
    assertThat(errand.job(rolledBackId)).isEmpty();
    // A later committed sign-up runs on the same queue; by the time it has, a job written by the
    // rolled-back transaction would have been claimable too.
    String after = unique("after");
    signups.signUp(after, false);
    await().atMost(WAIT).until(() -> ran.welcomed.contains(after));
    assertThat(ran.welcomed).doesNotContain(name);
    // (SQLite may give the rolled-back id to the next job: ids are assigned in the transaction.)
    assertThat(errand.jobs(JobQuery.all().type("welcome-email").limit(JobQuery.MAX_LIMIT)).jobs())
        .extracting(Job::payload)
        .noneMatch(p -> p.contains(name));
  }

  @Test
  void a_transactional_annotated_handler_rolls_back_the_writes_of_a_failed_attempt() {
    String entry = unique("audit");
    JobHandle job = jobs.enqueue("audit", new Audit(entry));

    await().atMost(WAIT).until(() -> job.state() == JobState.SUCCEEDED);
    assertThat(job.job().orElseThrow().attempt()).isEqualTo(2);
    assertThat(context.getBean(Audits.class).attemptsStored(entry)).containsExactly(2);
  }

  @Test
  void an_unknown_type_name_or_wrong_payload_is_rejected_at_enqueue() {
    assertThatThrownBy(() -> jobs.enqueue("no-such-type", "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no job type 'no-such-type'")
        .hasMessageContaining("welcome-email");
    assertThatThrownBy(() -> jobs.enqueue("welcome-email", "not a Welcome"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("takes dev.errand.spring.app.Welcome, got java.lang.String");
  }

  @Test
  void the_actuator_health_of_errand_is_up_with_this_node_heartbeating() {
    HealthEndpoint endpoint = context.getBean(HealthEndpoint.class);
    IndicatedHealthDescriptor health = (IndicatedHealthDescriptor) endpoint.healthForPath("errand");

    assertThat(health.getStatus()).isEqualTo(Status.UP);
    assertThat(health.getDetails())
        .containsEntry("node", errand.nodeId())
        .containsEntry("lifecycle", "RUNNING")
        .containsKey("heartbeatAt");
  }

  @Test
  void the_engine_meters_are_in_the_application_meter_registry() {
    MeterRegistry registry = context.getBean(MeterRegistry.class);
    assertThat(errand.meterRegistry()).isSameAs(registry);
    String name = unique("metered");
    jobs.enqueue("welcome-email", new dev.errand.spring.app.Welcome(name));

    await()
        .atMost(WAIT)
        .until(
            () -> {
              Counter c =
                  registry.find("errand.jobs.succeeded").tag("type", "welcome-email").counter();
              return c != null && c.count() >= 1;
            });
    assertThat(registry.find("errand.jobs.enqueued").tag("type", "welcome-email").counter())
        .isNotNull();
  }

  @Test
  void jackson_3_for_the_application_and_jackson_2_for_errand_coexist() {
    // Boot 4 configures the application's JSON with Jackson 3; the starter adds no Jackson 2
    // ObjectMapper bean that would change it, and payloads still map with Errand's Jackson 2.
    assertThat(context.getBeanNamesForType(tools.jackson.databind.json.JsonMapper.class))
        .isNotEmpty();
    assertThat(context.getBeanNamesForType(com.fasterxml.jackson.databind.ObjectMapper.class))
        .isEmpty();
    Report report = new Report(unique("json"), Instant.parse("2026-03-29T01:30:00.123Z"));
    JobHandle job = jobs.enqueue("render-report", report);
    await().atMost(WAIT).until(() -> ran.reports.contains(report));
    assertThat(job.job().orElseThrow().payload()).contains("\"2026-03-29T01:30:00.123Z\"");
  }
}
