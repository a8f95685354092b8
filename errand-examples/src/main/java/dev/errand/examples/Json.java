package dev.errand.examples;

import java.util.LinkedHashMap;
import java.util.Map;

/** JSON objects whose fields keep the order they are given in (Map.of has no order). */
public final class Json {
  private Json() {}

  /**
   * An object of {@code key, value, key, value, …}; null values are kept.
   *
   * @throws IllegalArgumentException for an odd number of arguments or a key that is not a string
   */
  public static Map<String, Object> object(Object... keysAndValues) {
    if (keysAndValues.length % 2 != 0) {
      throw new IllegalArgumentException(
          "object(…) takes key, value pairs; got " + keysAndValues.length + " arguments");
    }
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      if (!(keysAndValues[i] instanceof String key)) {
        throw new IllegalArgumentException(
            "key " + i / 2 + " is not a string: " + keysAndValues[i]);
      }
      m.put(key, keysAndValues[i + 1]);
    }
    return m;
  }
}
