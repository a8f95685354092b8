package dev.errand.spring.app;

/** Payload of {@code audit}. */
public record Audit(String entry) {}
