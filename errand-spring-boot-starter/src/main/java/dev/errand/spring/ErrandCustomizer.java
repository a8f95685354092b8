package dev.errand.spring;

import dev.errand.Errand;

/**
 * Changes the auto-configured engine's builder after the {@code errand.*} properties were applied
 * and before it is built: for what properties do not express, such as {@link
 * Errand.Builder#objectMapper}, {@link Errand.Builder#clock} or {@link Errand.Builder#maintenance}.
 * Every bean of this type is applied, in {@code @Order}; a customizer may override a property's
 * value. Called once, on the thread that creates the {@link Errand} bean.
 */
@FunctionalInterface
public interface ErrandCustomizer {
  /** Adjusts {@code builder}; the store is already set. */
  void customize(Errand.Builder builder);
}
