package dev.errand.bench;

import java.util.Locale;

/** The database a benchmark run uses. */
enum StoreKind {
  POSTGRES,
  SQLITE;

  /** The name used on the command line and in reports. */
  String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  static StoreKind parse(String s) {
    for (StoreKind k : values()) {
      if (k.label().equals(s.trim().toLowerCase(Locale.ROOT))) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown store '" + s + "': use postgres or sqlite");
  }
}
