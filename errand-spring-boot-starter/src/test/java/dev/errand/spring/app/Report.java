package dev.errand.spring.app;

import java.time.Instant;

/** Payload of {@code render-report}; the Instant goes through Errand's Jackson 2 mapper. */
public record Report(String id, Instant asOf) {}
