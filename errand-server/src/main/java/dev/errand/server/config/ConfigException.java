package dev.errand.server.config;

import java.util.List;

/**
 * The server configuration has bad values. {@link #problems()} has one line per bad value, each
 * naming the variable (or file key) and what to fix; the message lists them all, so one start shows
 * every mistake at once.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  ConfigException(List<String> problems) {
    super("invalid configuration:\n  - " + String.join("\n  - ", problems));
    this.problems = List.copyOf(problems);
  }

  /** One line per bad value. */
  public List<String> problems() {
    return problems;
  }
}
