package dev.errand.spring.web;

import dev.errand.AfterResponse;
import dev.errand.JobType;
import dev.errand.servlet.ServletEvents;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.Ordered;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** A Spring MVC application whose endpoints add after-response tasks. */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import(WebApp.Pages.class)
public class WebApp {
  /** Payload of the durable task. */
  public record Receipt(String order) {}

  /** What happened, in order: recorded by tasks, by the client and by {@link ServletEvents}. */
  public static final class Events {
    public final List<String> list = new CopyOnWriteArrayList<>();
  }

  @Bean
  Events events() {
    return new Events();
  }

  @Bean
  JobType<Receipt> receiptType(Events events) {
    return JobType.of(
        "send-receipt",
        Receipt.class,
        (ctx, r) -> events.list.add("receipt job ran for " + r.order()));
  }

  /**
   * In front of the Errand filter: records "response closed" when the container took the last byte.
   */
  @Bean
  FilterRegistrationBean<ServletEvents> servletEvents(Events events) {
    FilterRegistrationBean<ServletEvents> r =
        new FilterRegistrationBean<>(new ServletEvents(events.list));
    r.setOrder(Ordered.HIGHEST_PRECEDENCE);
    r.setAsyncSupported(true);
    return r;
  }

  @RestController
  static class Pages {
    private final Events events;
    private final JobType<Receipt> receipt;

    Pages(Events events, JobType<Receipt> receipt) {
      this.events = events;
      this.receipt = receipt;
    }

    @GetMapping("/slow")
    String slow() {
      AfterResponse.run("slow-task", ServletEvents.twoSecondTask(events.list));
      return "created";
    }

    @GetMapping("/durable")
    String durable() {
      return Long.toString(AfterResponse.run(receipt, new Receipt("o-1")).id());
    }

    @GetMapping("/fails")
    String fails() {
      AfterResponse.run("never-runs", () -> events.list.add("never-runs ran"));
      throw new IllegalStateException("handler broke on purpose");
    }
  }
}
