package dev.errand;

import java.time.Duration;
import java.util.Map;

/** The engine's effective configuration, validated by {@link Errand.Builder#build()}. */
record Settings(
    String nodeId,
    Map<String, Integer> queues,
    Duration lease,
    Duration heartbeatInterval,
    Duration rescueInterval,
    Duration pollInterval,
    int claimBatch,
    int completionBatch,
    Duration claimCooldown,
    Duration completionCooldown,
    Duration shutdownGrace,
    int quarantineAfter,
    Duration succeededRetention,
    Duration failedRetention,
    Duration pruneInterval,
    Duration nodeHeartbeatInterval,
    Duration watchInterval,
    Duration depthInterval,
    boolean clusterEvents) {}
