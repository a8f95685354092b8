package dev.errand.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.errand.Errand;
import dev.errand.JobContext;
import dev.errand.JobState;
import dev.errand.JobType;
import dev.errand.MemoryJobStore;
import dev.errand.spi.JobStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Which beans the auto-configuration creates, which it leaves to the application, and why startup
 * fails.
 */
class AutoConfigurationTest {
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(ErrandAutoConfiguration.class));

  record Ping(String text) {}

  @Configuration(proxyBeanMethods = false)
  static class MemoryStore {
    @Bean
    JobStore jobStore() {
      return MemoryJobStore.create();
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnEngine {
    @Bean
    Errand myErrand() {
      return Errand.builder()
          .store(MemoryJobStore.create())
          .nodeId("mine")
          .queue("default", 1)
          .build();
    }
  }

  static class Pings {
    final List<String> seen = new CopyOnWriteArrayList<>();

    @ErrandJob(name = "ping")
    void ping(Ping p) {
      seen.add(p.text());
    }
  }

  @Test
  void an_application_errand_bean_wins_and_no_store_is_built() {
    runner
        .withUserConfiguration(OwnEngine.class)
        .run(
            context -> {
              assertThat(context).hasSingleBean(Errand.class).doesNotHaveBean(JobStore.class);
              Errand errand = context.getBean(Errand.class);
              assertThat(errand.nodeId()).isEqualTo("mine");
              assertThat(errand.lifecycle()).isEqualTo(Errand.Lifecycle.RUNNING);
              assertThat(context.getBean(JobEnqueuer.class).errand()).isSameAs(errand);
            });
  }

  @Test
  void an_application_job_store_bean_is_used_by_the_engine() {
    runner
        .withUserConfiguration(MemoryStore.class)
        .run(
            context ->
                assertThat(context.getBean(Errand.class).store())
                    .isSameAs(context.getBean(JobStore.class)));
  }

  @Test
  void the_engine_is_stopped_gracefully_when_the_context_closes() {
    Errand[] errand = new Errand[1];
    runner
        .withUserConfiguration(MemoryStore.class)
        .run(context -> errand[0] = context.getBean(Errand.class));
    assertThat(errand[0].lifecycle()).isEqualTo(Errand.Lifecycle.TERMINATED);
  }

  @Test
  void customizers_change_the_builder_after_the_properties() {
    runner
        .withUserConfiguration(MemoryStore.class)
        .withPropertyValues("errand.node-id=from-properties")
        .withBean(ErrandCustomizer.class, () -> b -> b.nodeId("from-customizer"))
        .run(
            context ->
                assertThat(context.getBean(Errand.class).nodeId()).isEqualTo("from-customizer"));
  }

  @Test
  void errand_enabled_false_creates_nothing() {
    runner
        .withUserConfiguration(MemoryStore.class)
        .withPropertyValues("errand.enabled=false")
        .run(
            context ->
                assertThat(context)
                    .doesNotHaveBean(Errand.class)
                    .doesNotHaveBean(JobEnqueuer.class));
  }

  @Test
  void without_a_datasource_or_store_startup_says_what_to_configure() {
    runner.run(
        context ->
            assertThat(context)
                .getFailure()
                .rootCause()
                .hasMessageContaining("no single DataSource bean")
                .hasMessageContaining("spring.datasource.url"));
  }

  @Test
  void the_health_indicator_is_there_with_the_health_module_and_backs_off_without_it() {
    runner
        .withUserConfiguration(MemoryStore.class)
        .run(context -> assertThat(context).hasSingleBean(ErrandHealthIndicator.class));
    runner
        .withUserConfiguration(MemoryStore.class)
        .withClassLoader(new FilteredClassLoader(HealthIndicator.class))
        .run(
            context ->
                assertThat(context).hasNotFailed().doesNotHaveBean(ErrandHealthIndicator.class));
    runner
        .withUserConfiguration(MemoryStore.class)
        .withPropertyValues("management.health.errand.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(ErrandHealthIndicator.class));
  }

  @Test
  void the_lane_is_there_by_default_the_filter_only_in_a_servlet_web_application() {
    runner
        .withUserConfiguration(MemoryStore.class)
        .run(
            context ->
                assertThat(context)
                    .hasSingleBean(dev.errand.AfterResponseLane.class)
                    .doesNotHaveBean("errandAfterResponseFilter"));
    new org.springframework.boot.test.context.runner.WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ErrandAutoConfiguration.class))
        .withUserConfiguration(MemoryStore.class)
        .run(context -> assertThat(context).hasBean("errandAfterResponseFilter"));
    runner
        .withUserConfiguration(MemoryStore.class)
        .withPropertyValues("errand.after-response.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(dev.errand.AfterResponseLane.class));
  }

  @Test
  void without_errand_servlet_a_web_application_gets_the_lane_but_no_filter() {
    new org.springframework.boot.test.context.runner.WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ErrandAutoConfiguration.class))
        .withUserConfiguration(MemoryStore.class)
        .withClassLoader(new FilteredClassLoader("dev.errand.servlet"))
        .run(
            context ->
                assertThat(context)
                    .hasNotFailed()
                    .hasSingleBean(dev.errand.AfterResponseLane.class)
                    .doesNotHaveBean("errandAfterResponseFilter"));
  }

  @Test
  void job_type_beans_are_registered_as_they_are() {
    List<String> seen = new CopyOnWriteArrayList<>();
    runner
        .withUserConfiguration(MemoryStore.class)
        .withBean(
            "pingType",
            JobType.class,
            () -> JobType.of("ping", Ping.class, (ctx, p) -> seen.add(p.text())).maxAttempts(2))
        .run(
            context -> {
              var job = context.getBean(JobEnqueuer.class).enqueue("ping", new Ping("hello"));
              await().atMost(Duration.ofSeconds(10)).until(() -> job.state() == JobState.SUCCEEDED);
              assertThat(seen).containsExactly("hello");
              assertThat(job.job().orElseThrow().maxAttempts()).isEqualTo(2);
            });
  }

  @Test
  void an_annotated_method_runs_on_a_memory_store_too() {
    runner
        .withUserConfiguration(MemoryStore.class)
        .withBean(Pings.class)
        .run(
            context -> {
              var job = context.getBean(JobEnqueuer.class).enqueue("ping", new Ping("hi"));
              await().atMost(Duration.ofSeconds(10)).until(() -> job.state() == JobState.SUCCEEDED);
              assertThat(context.getBean(Pings.class).seen).containsExactly("hi");
            });
  }

  @Test
  void a_lazy_bean_registers_its_annotated_methods_when_it_is_created() {
    runner
        .withUserConfiguration(MemoryStore.class)
        .withBean("lazyPings", Pings.class, Pings::new, d -> d.setLazyInit(true))
        .run(
            context -> {
              Errand errand = context.getBean(Errand.class);
              assertThat(errand.typeNames()).doesNotContain("ping");
              context.getBean("lazyPings");
              assertThat(errand.typeNames()).contains("ping");
            });
  }

  static class TwoPayloads {
    @ErrandJob(name = "two")
    void two(Ping a, Ping b) {}
  }

  @Test
  void an_annotated_method_with_two_payloads_fails_startup_naming_bean_and_method() {
    runner
        .withUserConfiguration(MemoryStore.class)
        .withBean("twoPayloads", TwoPayloads.class)
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining(
                        "@ErrandJob on bean 'twoPayloads' method TwoPayloads.two must take"
                            + " the payload and optionally a JobContext"));
  }

  static class BadTimeout {
    @ErrandJob(name = "slow", timeout = "a while")
    void slow(JobContext ctx, Ping p) {}
  }

  @Test
  void an_annotated_method_with_a_bad_timeout_fails_startup_naming_the_attribute() {
    runner
        .withUserConfiguration(MemoryStore.class)
        .withBean("badTimeout", BadTimeout.class)
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .hasStackTraceContaining(
                        "@ErrandJob on bean 'badTimeout' method BadTimeout.slow: timeout ="
                            + " \"a while\" is not a duration"));
  }

  static class PingHandler implements ErrandJobHandler<Ping> {
    @Override
    public String typeName() {
      return "ping";
    }

    @Override
    public Class<Ping> payloadClass() {
      return Ping.class;
    }

    @Override
    public void handle(JobContext ctx, Ping payload) {}
  }

  @Test
  void two_handlers_of_one_type_name_fail_startup_naming_the_name() {
    runner
        .withUserConfiguration(MemoryStore.class)
        .withBean("pingHandler", PingHandler.class)
        .withBean("pings", Pings.class)
        .run(
            context ->
                assertThat(context)
                    .getFailure()
                    .rootCause()
                    .hasMessageContaining("job type 'ping' is already registered"));
  }
}
