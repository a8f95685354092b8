package dev.errand.spring;

import dev.errand.Errand;
import dev.errand.Node;
import java.time.Instant;
import java.util.Optional;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Actuator health of the Errand engine, as {@code errand} under {@code /actuator/health}.
 *
 * <ul>
 *   <li>DOWN when the store cannot be read (the error is in the details), when the engine is not
 *       RUNNING, or when this node is missing from the node registry (its heartbeat has not been
 *       written for six node-heartbeat intervals: the node is alive but cannot reach the store, and
 *       other nodes will treat it as dead).
 *   <li>UP otherwise, with details: node id, lifecycle, last node heartbeat (store clock), live
 *       nodes, paused queues.
 * </ul>
 *
 * <p>Each check does two small store reads (node registry and paused queues) on the calling thread.
 * Turn it off with {@code management.health.errand.enabled=false}.
 */
public final class ErrandHealthIndicator extends AbstractHealthIndicator {
  private final Errand errand;

  /** A health indicator for {@code errand}. */
  public ErrandHealthIndicator(Errand errand) {
    super("Errand health check failed");
    this.errand = errand;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) {
    builder.withDetail("node", errand.nodeId()).withDetail("lifecycle", errand.lifecycle().name());
    if (errand.lifecycle() != Errand.Lifecycle.RUNNING) {
      builder.down().withDetail("reason", "the engine is " + errand.lifecycle() + ", not RUNNING");
      return;
    }
    var nodes = errand.nodes();
    builder.withDetail("nodes", nodes.size()).withDetail("pausedQueues", errand.pausedQueues());
    Optional<Instant> beat =
        nodes.stream()
            .filter(n -> n.id().equals(errand.nodeId()))
            .map(Node::heartbeatAt)
            .findFirst();
    if (beat.isEmpty()) {
      builder
          .down()
          .withDetail(
              "reason",
              "this node is not in the node registry: its heartbeat"
                  + " has not reached the store recently");
      return;
    }
    builder.up().withDetail("heartbeatAt", beat.get().toString());
  }
}
