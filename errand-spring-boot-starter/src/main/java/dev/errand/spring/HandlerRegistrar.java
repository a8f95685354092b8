package dev.errand.spring;

import dev.errand.Backoff;
import dev.errand.Errand;
import dev.errand.JobContext;
import dev.errand.JobHandler;
import dev.errand.JobType;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Finds job handlers among the application's beans and registers them with the {@link Errand} bean
 * once every singleton exists, which is before the engine starts (the lifecycle starts it after the
 * context refreshed). Three kinds: {@link JobType} beans as they are, {@link ErrandJobHandler}
 * beans, and {@link ErrandJob} methods, found as beans are initialized.
 */
final class HandlerRegistrar
    implements BeanPostProcessor, SmartInitializingSingleton, BeanFactoryAware {
  private static final Logger log = LoggerFactory.getLogger(HandlerRegistrar.class);

  /** Annotated methods by the bean that declares them, in discovery order. */
  private final Map<String, JobType<?>> annotated = new LinkedHashMap<>();

  private ListableBeanFactory beanFactory;

  /** The engine, once the singletons are registered; later (lazy) beans register directly. */
  private volatile Errand registeredOn;

  @Override
  public void setBeanFactory(BeanFactory beanFactory) {
    this.beanFactory = (ListableBeanFactory) beanFactory;
  }

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
    Class<?> target = AopUtils.getTargetClass(bean);
    Map<Method, ErrandJob> methods =
        MethodIntrospector.selectMethods(
            target,
            (MethodIntrospector.MetadataLookup<ErrandJob>)
                m -> AnnotatedElementUtils.findMergedAnnotation(m, ErrandJob.class));
    methods.forEach(
        (method, job) -> {
          String where =
              "bean '" + beanName + "' method " + target.getSimpleName() + "." + method.getName();
          JobType<?> type = typeOf(bean, method, job, where);
          JobType<?> prior = annotated.putIfAbsent(type.name(), type);
          if (prior != null) {
            throw new IllegalStateException(
                "@ErrandJob(name = \""
                    + type.name()
                    + "\") on "
                    + where
                    + ": another @ErrandJob method already has that name; job type names must be unique");
          }
          Errand errand = registeredOn;
          if (errand != null) {
            register(errand, type, "@ErrandJob on lazily created " + where);
          }
        });
    return bean;
  }

  @Override
  public void afterSingletonsInstantiated() {
    Errand errand = beanFactory.getBeanProvider(Errand.class).getIfUnique();
    if (errand == null) {
      if (!annotated.isEmpty()) {
        log.warn(
            "errand: no single Errand bean; @ErrandJob types {} are not registered",
            annotated.keySet());
      }
      return;
    }
    List<String> names = new ArrayList<>();
    beanFactory
        .getBeansOfType(JobType.class)
        .forEach(
            (beanName, type) ->
                names.add(register(errand, type, "JobType bean '" + beanName + "'")));
    beanFactory
        .getBeansOfType(ErrandJobHandler.class)
        .forEach(
            (beanName, handler) ->
                names.add(
                    register(
                        errand,
                        typeOf(handler, beanName),
                        "ErrandJobHandler bean '" + beanName + "'")));
    annotated.forEach((name, type) -> names.add(register(errand, type, "@ErrandJob method")));
    registeredOn = errand;
    log.info("errand: registered job types {} from beans", names);
  }

  private static String register(Errand errand, JobType<?> type, String source) {
    try {
      errand.register(type);
      return type.name();
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(
          source
              + " declares job type '"
              + type.name()
              + "', but "
              + e.getMessage()
              + "; rename one of them",
          e);
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static JobType<?> typeOf(ErrandJobHandler handler, String beanName) {
    String where = "ErrandJobHandler bean '" + beanName + "'";
    try {
      JobType base = JobType.of(handler.typeName(), handler.payloadClass(), handler);
      JobType configured = handler.configure(base);
      if (configured == null
          || configured.handler() != handler
          || !configured.name().equals(base.name())) {
        throw new IllegalStateException(
            where
                + ": configure(type) must return the type it was"
                + " given with options changed (same name and handler), got "
                + configured);
      }
      return configured;
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalStateException(
          where + " declares an invalid job type: " + e.getMessage(), e);
    }
  }

  /** The job type of one {@link ErrandJob} method, validated. */
  private static JobType<?> typeOf(Object bean, Method method, ErrandJob job, String where) {
    Class<?>[] params = method.getParameterTypes();
    int payloadIndex = -1;
    int contextIndex = -1;
    for (int i = 0; i < params.length; i++) {
      if (params[i] == JobContext.class) {
        contextIndex = contextIndex < 0 ? i : -2;
      } else {
        payloadIndex = payloadIndex < 0 ? i : -2;
      }
    }
    if (params.length == 0 || params.length > 2 || payloadIndex < 0 || contextIndex == -2) {
      throw new IllegalStateException(
          "@ErrandJob on "
              + where
              + " must take the payload and"
              + " optionally a JobContext, e.g. (Email email) or (Email email, JobContext ctx); it takes "
              + java.util.Arrays.toString(params));
    }
    Method invocable = AopUtils.selectInvocableMethod(method, bean.getClass());
    ReflectionUtils.makeAccessible(invocable);
    int p = payloadIndex;
    int c = contextIndex;
    JobHandler<Object> handler =
        (ctx, payload) -> {
          Object[] args = new Object[params.length];
          args[p] = payload;
          if (c >= 0) {
            args[c] = ctx;
          }
          try {
            invocable.invoke(bean, args);
          } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
              throw ex;
            }
            throw (Error) cause;
          }
        };
    try {
      @SuppressWarnings("unchecked")
      JobType<Object> type = JobType.of(job.name(), (Class<Object>) params[p], handler);
      if (!job.queue().isEmpty()) {
        type = type.queue(job.queue());
      }
      if (job.maxAttempts() != 0) {
        type = type.maxAttempts(job.maxAttempts());
      }
      type = type.priority(job.priority());
      if (!job.timeout().isEmpty()) {
        type = type.timeout(duration("timeout", job.timeout()));
      }
      if (!job.backoff().isEmpty()) {
        type = type.backoff(Backoff.exponential(duration("backoff", job.backoff())));
      }
      if (job.permanentOn().length > 0) {
        type = type.permanentOn(job.permanentOn());
      }
      return type;
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("@ErrandJob on " + where + ": " + e.getMessage(), e);
    }
  }

  private static Duration duration(String attribute, String text) {
    try {
      return DurationStyle.detectAndParse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          attribute
              + " = \""
              + text
              + "\" is not a duration; write"
              + " e.g. \"30s\", \"5m\" or \"PT30S\"",
          e);
    }
  }
}
