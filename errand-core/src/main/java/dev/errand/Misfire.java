package dev.errand;

import java.util.Locale;
import java.util.Objects;

/**
 * What a stored schedule does about fire times that passed while no scheduler ran (every node was
 * down, or none ran the scheduler): run once for all of them, skip them, or run each of them up to
 * a cap. Immutable. See {@code docs/schedules.md}, section Misfire.
 *
 * <p>Text form (stored, and accepted by {@link #parse}): {@code run-once}, {@code skip}, {@code
 * run-all:<cap>}.
 */
public final class Misfire {
  /** The policies. */
  public enum Policy {
    /** One occurrence runs at once for the whole missed stretch (the default). */
    RUN_ONCE,
    /** Missed fire times do not run; the schedule continues with the next fire time. */
    SKIP,
    /** Every missed fire time runs, oldest first, at most {@link #cap()} of them. */
    RUN_ALL
  }

  /** Most missed occurrences {@link #runAll} may be asked to run. */
  public static final int MAX_CAP = 10_000;

  private static final Misfire RUN_ONCE = new Misfire(Policy.RUN_ONCE, 1);
  private static final Misfire SKIP = new Misfire(Policy.SKIP, 0);

  private final Policy policy;
  private final int cap;

  private Misfire(Policy policy, int cap) {
    this.policy = policy;
    this.cap = cap;
  }

  /** One occurrence runs at once for all missed fire times; the default of every schedule. */
  public static Misfire runOnce() {
    return RUN_ONCE;
  }

  /** Missed fire times are skipped. */
  public static Misfire skip() {
    return SKIP;
  }

  /**
   * Every missed fire time runs, oldest first, but at most {@code cap} of them; the rest are
   * skipped.
   *
   * @throws IllegalArgumentException if {@code cap} is outside 1–{@value #MAX_CAP}
   */
  public static Misfire runAll(int cap) {
    if (cap < 1 || cap > MAX_CAP) {
      throw new IllegalArgumentException(
          "misfire cap must be 1-"
              + MAX_CAP
              + ", got "
              + cap
              + " (run-all:<cap> runs at most"
              + " <cap> missed occurrences)");
    }
    return new Misfire(Policy.RUN_ALL, cap);
  }

  /**
   * Reads the text form {@link #toString()} writes: {@code run-once}, {@code skip} or {@code
   * run-all:<cap>}, in any case.
   *
   * @throws IllegalArgumentException naming what is wrong and what would be valid
   */
  public static Misfire parse(String text) {
    Objects.requireNonNull(text, "text");
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.equals("run-once")) {
      return RUN_ONCE;
    }
    if (t.equals("skip")) {
      return SKIP;
    }
    if (t.startsWith("run-all:")) {
      String n = t.substring("run-all:".length()).trim();
      try {
        return runAll(Integer.parseInt(n));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "misfire cap '" + n + "' is not a number: use e.g. run-all:10", e);
      }
    }
    throw new IllegalArgumentException(
        "misfire policy '" + text + "' is not known: use run-once, skip or run-all:<cap>");
  }

  /** The policy. */
  public Policy policy() {
    return policy;
  }

  /** Most missed occurrences run: 1 for RUN_ONCE, 0 for SKIP, the cap for RUN_ALL. */
  public int cap() {
    return cap;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Misfire m && m.policy == policy && m.cap == cap;
  }

  @Override
  public int hashCode() {
    return policy.hashCode() * 31 + cap;
  }

  /** The text form: {@code run-once}, {@code skip} or {@code run-all:<cap>}. */
  @Override
  public String toString() {
    return switch (policy) {
      case RUN_ONCE -> "run-once";
      case SKIP -> "skip";
      case RUN_ALL -> "run-all:" + cap;
    };
  }
}
