package dev.errand.examples;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Environment variables of an example app, read into its configuration builder: a variable that is
 * unset keeps the builder's default, one whose value does not parse is rejected with an {@link
 * IllegalArgumentException} that names the variable and its value.
 *
 * <pre>{@code
 * Env env = Env.of(System.getenv());
 * env.read("PORT", v -> builder.port(Integer.parseInt(v)));
 * }</pre>
 */
public final class Env {
  /** Applies a variable's value; any runtime exception means the value is not valid. */
  @FunctionalInterface
  public interface Setter {
    void set(String value);
  }

  private final Map<String, String> vars;

  private Env(Map<String, String> vars) {
    this.vars = Map.copyOf(vars);
  }

  /** The variables in {@code vars} ({@code System.getenv()}, or a map in tests). */
  public static Env of(Map<String, String> vars) {
    return new Env(Objects.requireNonNull(vars, "vars"));
  }

  /** The trimmed value of {@code name}, empty if it is unset or blank. */
  public Optional<String> get(String name) {
    String v = vars.get(name);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
  }

  /**
   * Gives the trimmed value of {@code name} to {@code setter} if it is set.
   *
   * @throws IllegalArgumentException {@code NAME=value is not valid: …} if the setter throws
   */
  public Env read(String name, Setter setter) {
    Optional<String> v = get(name);
    if (v.isPresent()) {
      try {
        setter.set(v.get());
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            name + "=" + v.get() + " is not valid: " + e.getMessage(), e);
      }
    }
    return this;
  }
}
