package dev.errand.javalin;

import dev.errand.AfterResponse;
import dev.errand.AfterResponseLane;
import dev.errand.RequestScope;
import dev.errand.servlet.AfterResponseFilter;
import io.javalin.config.JavalinState;
import io.javalin.http.Context;
import io.javalin.plugin.Plugin;
import io.javalin.plugin.PluginPriority;
import jakarta.servlet.DispatcherType;
import java.util.EnumSet;
import java.util.Optional;
import java.util.function.Consumer;
import org.eclipse.jetty.ee10.servlet.FilterHolder;

/**
 * A Javalin 7 plugin that runs each request's after-response tasks once the response is complete:
 * {@link AfterResponse#run} inside a handler adds to the request's list; the client gets the whole
 * response first; then the tasks run on the lane, in the order added.
 *
 * <pre>{@code
 * AfterResponseLane lane = AfterResponseLane.builder().errand(errand).build();
 * Javalin app = Javalin.create(config -> {
 *   config.registerPlugin(AfterResponsePlugin.of(lane));
 *   config.routes.post("/tasks", ctx -> {
 *     Task task = tasks.create(ctx.bodyAsClass(NewTask.class));
 *     AfterResponse.run("broadcast-new-task", () -> sockets.broadcast(task));
 *     ctx.status(201).json(task);
 *   });
 * });
 * }</pre>
 *
 * <p>Javalin serves requests through a servlet on Jetty's ee10 servlet layer; this plugin installs
 * errand-servlet's {@link AfterResponseFilter} in front of it, so the semantics are the filter's:
 * the response is closed before the tasks are handed over, and {@code ctx.future(...)} requests
 * hand them over when they complete. One difference: Javalin turns a handler's exception into an
 * error response inside its servlet, so the filter never sees it and the request's tasks still run.
 * If they must not, discard them in your exception handler with {@code
 * AfterResponsePlugin.scope(ctx).ifPresent(s -> s.discard(e))}. The plugin also installs the lane
 * for calls outside requests unless one is installed. Javalin calls {@link #onInitialize} while the
 * app is created.
 */
public final class AfterResponsePlugin extends Plugin<AfterResponsePlugin.Config> {
  /** The plugin's settings, filled in by the consumer given to the constructor. */
  public static final class Config {
    /** The lane the tasks go to; required. */
    public AfterResponseLane lane;

    /** The request header read for the correlation id; default {@code X-Request-Id}. */
    public String correlationHeader = AfterResponseFilter.DEFAULT_CORRELATION_HEADER;
  }

  /** A plugin configured by {@code config}, Javalin style. */
  public AfterResponsePlugin(Consumer<Config> config) {
    super(config, new Config());
  }

  /** A plugin that hands tasks to {@code lane} and reads {@code X-Request-Id}. */
  public static AfterResponsePlugin of(AfterResponseLane lane) {
    return new AfterResponsePlugin(c -> c.lane = lane);
  }

  /** The scope of the request behind {@code ctx}, for adding from another thread. */
  public static Optional<RequestScope> scope(Context ctx) {
    return AfterResponseFilter.scope(ctx.req());
  }

  /**
   * Installs the filter on Javalin's servlet context.
   *
   * @throws IllegalArgumentException if no lane was configured
   */
  @Override
  public void onInitialize(JavalinState state) {
    Config config = pluginConfig;
    if (config.lane == null) {
      throw new IllegalArgumentException(
          "AfterResponsePlugin needs a lane: use"
              + " AfterResponsePlugin.of(AfterResponseLane.builder().build()) or set config.lane");
    }
    AfterResponseFilter filter = new AfterResponseFilter(config.lane, config.correlationHeader);
    state.jetty.modifyServletContextHandler(
        handler -> {
          FilterHolder holder = new FilterHolder(filter);
          holder.setName("errand-after-response");
          holder.setAsyncSupported(true);
          handler.addFilter(holder, "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
        });
  }

  @Override
  public PluginPriority priority() {
    return PluginPriority.EARLY;
  }

  @Override
  public String name() {
    return "errand-after-response";
  }
}
