package dev.errand;

import java.time.Instant;
import java.util.Map;

/**
 * A running Errand engine as it registered itself in the store.
 *
 * @param id node id (unique per running engine)
 * @param host host name
 * @param pid process id
 * @param startedAt when the engine started
 * @param heartbeatAt its latest heartbeat (database clock)
 * @param queues queues it serves, with their concurrency
 */
public record Node(
    String id,
    String host,
    long pid,
    Instant startedAt,
    Instant heartbeatAt,
    Map<String, Integer> queues) {
  public Node {
    queues = Map.copyOf(queues);
  }
}
