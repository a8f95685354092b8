package dev.errand.spring.app;

/** Payload of {@code welcome-email}. */
public record Welcome(String name) {}
