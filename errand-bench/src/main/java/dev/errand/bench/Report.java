package dev.errand.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Every measured value, by store, metric and system, in run order, with the notes the workloads
 * left; prints the tables. A failed run is stored as NaN and its reason as a note.
 */
final class Report {
  record Key(StoreKind store, Metric metric, String system) {}

  private final Map<Key, List<Double>> values = new LinkedHashMap<>();
  private final Map<String, List<String>> notes = new LinkedHashMap<>();

  synchronized void add(StoreKind store, Metric metric, String system, double value) {
    values.computeIfAbsent(new Key(store, metric, system), k -> new ArrayList<>()).add(value);
  }

  synchronized void note(StoreKind store, String workload, String text) {
    notes.computeIfAbsent(store.label() + "/" + workload, k -> new ArrayList<>()).add(text);
  }

  synchronized List<Double> values(StoreKind store, Metric metric, String system) {
    return List.copyOf(values.getOrDefault(new Key(store, metric, system), List.of()));
  }

  synchronized List<String> notes(StoreKind store, String workload) {
    return List.copyOf(notes.getOrDefault(store.label() + "/" + workload, List.of()));
  }

  /** The median of the runs that produced a number, or empty if none did. */
  OptionalDouble median(StoreKind store, Metric metric, String system) {
    double[] v =
        values(store, metric, system).stream()
            .mapToDouble(Double::doubleValue)
            .filter(d -> !Double.isNaN(d))
            .sorted()
            .toArray();
    if (v.length == 0) {
      return OptionalDouble.empty();
    }
    int m = v.length / 2;
    return OptionalDouble.of(v.length % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2);
  }

  /** Prints the table of one workload on one store. */
  void printWorkload(PrintStream out, StoreKind store, String workload, List<String> systems) {
    out.printf("%n### %s — %s%n%n", workload, store.label());
    out.println("| metric | system | median | runs | Errand vs this system |");
    out.println("|---|---|---:|---|---:|");
    for (Metric m : Metric.values()) {
      if (!m.workload.equals(workload)) {
        continue;
      }
      OptionalDouble errand = median(store, m, "errand");
      for (String s : systems) {
        List<Double> runs = values(store, m, s);
        if (runs.isEmpty()) {
          continue;
        }
        OptionalDouble med = median(store, m, s);
        String ratio = "";
        if (!s.equals("errand")
            && m.direction != Metric.Direction.INFO
            && errand.isPresent()
            && med.isPresent()
            && med.getAsDouble() > 0
            && errand.getAsDouble() > 0) {
          double r =
              m.direction == Metric.Direction.HIGHER
                  ? errand.getAsDouble() / med.getAsDouble()
                  : med.getAsDouble() / errand.getAsDouble();
          ratio = String.format(Locale.ROOT, "%.2f× %s", r, r >= 1 ? "better" : "worse");
        }
        out.printf(
            "| %s (%s) | %s | %s | %s | %s |%n",
            m.label,
            m.unit,
            s,
            med.isPresent() ? format(med.getAsDouble(), m) : "failed",
            String.join(" · ", runs.stream().map(v -> format(v, m)).toList()),
            ratio);
      }
    }
    for (String n : notes(store, workload)) {
      out.println();
      out.println("- " + n);
    }
  }

  static String format(double v, Metric m) {
    if (Double.isNaN(v)) {
      return "failed";
    }
    if (m.unit.equals("ms")) {
      return v < 10
          ? String.format(Locale.ROOT, "%.2f", v)
          : String.format(Locale.ROOT, "%,.0f", v);
    }
    if (m.unit.equals("s") || m.unit.equals("%") || m.unit.equals("switches")) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    return String.format(Locale.ROOT, "%,.0f", v);
  }

  /** p-th percentile (0–100) of {@code sorted} by nearest rank. */
  static double percentile(double[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  static double[] sorted(List<Double> v) {
    double[] a = v.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(a);
    return a;
  }
}
