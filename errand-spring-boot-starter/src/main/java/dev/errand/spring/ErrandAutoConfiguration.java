package dev.errand.spring;

import dev.errand.AfterResponseLane;
import dev.errand.Errand;
import dev.errand.jdbc.PostgresJobStore;
import dev.errand.jdbc.SqliteJobStore;
import dev.errand.servlet.AfterResponseFilter;
import dev.errand.spi.JobStore;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.DispatcherType;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * Auto-configures Errand from the application's {@link DataSource}. Every bean backs off when the
 * application defines one of the same type ({@code @ConditionalOnMissingBean}):
 *
 * <ul>
 *   <li>{@link JobStore}: {@code PostgresJobStore} or {@code SqliteJobStore} on the DataSource,
 *       chosen from its metadata or by {@code errand.store}; not created when the application
 *       defines a {@code JobStore} or an {@code Errand}.
 *   <li>{@link Errand}: built from {@code errand.*} ({@link ErrandProperties}), then every {@link
 *       ErrandCustomizer}; its meters go to the application's {@link MeterRegistry} when there is
 *       exactly one.
 *   <li>the lifecycle that starts the engine after the context refreshed and stops it gracefully
 *       (see {@link ErrandLifecycle}), and the registrar of handler beans ({@link ErrandJob}
 *       methods, {@link ErrandJobHandler} and {@code JobType} beans), which runs before it.
 *   <li>{@link JobEnqueuer}: enqueue that joins the current {@code @Transactional} transaction.
 *   <li>{@link AfterResponseLane} from {@code errand.after-response.*}, installed for {@code
 *       AfterResponse.run} and shut down with the context; in a servlet web application with
 *       errand-servlet present, the {@code AfterResponseFilter} for every request.
 *   <li>{@link ErrandHealthIndicator} as {@code errand}, when Spring Boot's health module is
 *       present and {@code management.health.errand.enabled} is not false.
 * </ul>
 *
 * <p>{@code errand.enabled=false} turns all of it off.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
      "org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"
    })
@ConditionalOnClass(Errand.class)
@ConditionalOnProperty(
    prefix = "errand",
    name = "enabled",
    havingValue = "true",
    matchIfMissing = true)
@EnableConfigurationProperties(ErrandProperties.class)
public class ErrandAutoConfiguration {

  /** The store on the application's DataSource. */
  @Bean
  @ConditionalOnMissingBean({JobStore.class, Errand.class})
  JobStore errandJobStore(ObjectProvider<DataSource> dataSource, ErrandProperties properties) {
    DataSource ds = dataSource.getIfUnique();
    if (ds == null) {
      throw new IllegalStateException(
          "errand: no single DataSource bean to build the job store"
              + " on; configure spring.datasource.url (PostgreSQL or SQLite), define a JobStore bean,"
              + " or set errand.enabled=false");
    }
    return JobStores.create(ds, properties);
  }

  /** The engine, from {@code errand.*} and the customizers; started by {@link ErrandLifecycle}. */
  @Bean
  @ConditionalOnMissingBean
  Errand errand(
      JobStore store,
      ErrandProperties properties,
      ObjectProvider<MeterRegistry> meterRegistry,
      ObjectProvider<ErrandCustomizer> customizers) {
    Errand.Builder builder = Errand.builder().store(store);
    properties.applyTo(builder);
    meterRegistry.ifUnique(builder::meterRegistry);
    customizers.orderedStream().forEach(c -> c.customize(builder));
    return builder.build();
  }

  @Bean
  @ConditionalOnMissingBean
  ErrandLifecycle errandLifecycle(Errand errand) {
    return new ErrandLifecycle(errand);
  }

  @Bean
  @ConditionalOnMissingBean
  static HandlerRegistrar errandHandlerRegistrar() {
    return new HandlerRegistrar();
  }

  /**
   * Joins transactions on the application's DataSource when the engine's store is a JDBC store;
   * with any other store it enqueues on its own.
   */
  @Bean
  @ConditionalOnMissingBean
  JobEnqueuer jobEnqueuer(Errand errand, ObjectProvider<DataSource> dataSource) {
    JobStore store = errand.store();
    boolean jdbc = store instanceof PostgresJobStore || store instanceof SqliteJobStore;
    return new JobEnqueuer(errand, jdbc ? dataSource.getIfUnique() : null);
  }

  /**
   * The after-response lane, with durable tasks enqueued on the engine and meters in the engine's
   * registry (the application's).
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(AfterResponseLane.class)
  @ConditionalOnProperty(
      prefix = "errand.after-response",
      name = "enabled",
      havingValue = "true",
      matchIfMissing = true)
  static class AfterResponseConfiguration {
    @Bean
    @ConditionalOnMissingBean
    AfterResponseLane afterResponseLane(Errand errand, ErrandProperties properties) {
      AfterResponseLane.Builder builder = AfterResponseLane.builder().errand(errand);
      properties.getAfterResponse().applyTo(builder);
      return builder.build();
    }

    @Bean
    @ConditionalOnMissingBean
    AfterResponseLifecycle afterResponseLifecycle(AfterResponseLane lane) {
      return new AfterResponseLifecycle(lane);
    }

    /**
     * In a servlet web application with errand-servlet on the classpath: the filter that opens each
     * request's scope and hands its tasks to the lane once the response is complete.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnClass(name = {"jakarta.servlet.Filter", "dev.errand.servlet.AfterResponseFilter"})
    static class ServletFilter {
      @Bean
      @ConditionalOnMissingBean(name = "errandAfterResponseFilter")
      FilterRegistrationBean<AfterResponseFilter> errandAfterResponseFilter(
          AfterResponseLane lane, ErrandProperties properties) {
        var registration =
            new FilterRegistrationBean<>(
                new AfterResponseFilter(
                    lane, properties.getAfterResponse().getCorrelationHeader()));
        registration.setName("errandAfterResponseFilter");
        registration.setOrder(AFTER_RESPONSE_FILTER_ORDER);
        registration.setAsyncSupported(true);
        registration.setDispatcherTypes(DispatcherType.REQUEST, DispatcherType.ASYNC);
        registration.addUrlPatterns("/*");
        return registration;
      }
    }
  }

  /**
   * Order of the after-response filter: ahead of Spring Security (-100), Spring Boot's
   * request-context filter and the application's filters, so the response it closes is the finished
   * one. In front of it run only filters at the very front (character encoding, the HTTP
   * observation), which never write the body.
   */
  public static final int AFTER_RESPONSE_FILTER_ORDER = Ordered.HIGHEST_PRECEDENCE + 10;

  /** Actuator health, when Spring Boot's health module is on the classpath. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  @ConditionalOnEnabledHealthIndicator("errand")
  static class Health {
    @Bean
    @ConditionalOnMissingBean(name = "errandHealthIndicator")
    ErrandHealthIndicator errandHealthIndicator(Errand errand) {
      return new ErrandHealthIndicator(errand);
    }
  }
}
