package dev.errand.server.config;

import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads settings by precedence (command line, environment, file, default) and collects one problem
 * line per bad value, naming where the value came from.
 */
final class SettingReader {
  private static final Pattern DURATION = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h|d)");

  private final Map<ServerSetting, String> commandLine;
  private final Map<String, String> env;
  private final Map<String, String> file;
  private final Path filePath;
  final List<String> problems = new ArrayList<>();

  SettingReader(
      Map<ServerSetting, String> commandLine,
      Map<String, String> env,
      Map<String, String> file,
      Path filePath) {
    this.commandLine = commandLine;
    this.env = env;
    this.file = file;
    this.filePath = filePath;
  }

  /** The effective text of {@code s}, trimmed; empty if unset and without default. */
  String raw(ServerSetting s) {
    String v = commandLine.get(s);
    if (v == null) {
      v = env.get(s.env());
    }
    if (v == null) {
      v = file.get(s.fileKey());
    }
    return v == null ? s.defaultValue() : v.trim();
  }

  /** Where the effective value of {@code s} came from, as a user would look for it. */
  String source(ServerSetting s) {
    if (commandLine.containsKey(s)) {
      return "command-line option for " + s.env();
    }
    if (env.containsKey(s.env())) {
      return "environment";
    }
    if (file.containsKey(s.fileKey())) {
      return "file";
    }
    return "default";
  }

  private String where(ServerSetting s) {
    return switch (source(s)) {
      case "environment" -> s.env();
      case "file" -> "'" + s.fileKey() + "' in " + filePath + " (" + s.env() + ")";
      case "default" -> s.env() + " (default)";
      default -> source(s);
    };
  }

  void problem(ServerSetting s, String fix) {
    String shown = s.secret() ? "(secret, not shown)" : "'" + raw(s) + "'";
    problems.add(where(s) + " is " + shown + ": " + fix);
  }

  /**
   * Parses {@code s} with {@code parse}; an IllegalArgumentException's message becomes the problem.
   */
  <T> Optional<T> parse(ServerSetting s, Function<String, T> parse) {
    try {
      return Optional.of(parse.apply(raw(s)));
    } catch (IllegalArgumentException e) {
      problem(s, e.getMessage());
      return Optional.empty();
    }
  }

  int integer(ServerSetting s, int min, int max) {
    return parse(
            s,
            v -> {
              int n;
              try {
                n = Integer.parseInt(v);
              } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                    "not a whole number; give one from " + min + " to " + max);
              }
              if (n < min || n > max) {
                throw new IllegalArgumentException(
                    "out of range; give a whole number from " + min + " to " + max);
              }
              return n;
            })
        .orElse(min);
  }

  boolean bool(ServerSetting s) {
    return parse(
            s,
            v ->
                switch (v.toLowerCase(Locale.ROOT)) {
                  case "true", "yes", "on", "1" -> true;
                  case "false", "no", "off", "0" -> false;
                  default -> throw new IllegalArgumentException("not a boolean; use true or false");
                })
        .orElse(false);
  }

  /**
   * A duration of at least {@code min}: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code
   * 1d} or ISO-8601.
   */
  Duration duration(ServerSetting s, Duration min) {
    return parse(
            s,
            v -> {
              Duration d = parseDuration(v);
              if (d.compareTo(min) < 0) {
                throw new IllegalArgumentException(
                    "too short; give at least "
                        + min.toMillis()
                        + " ms (e.g. "
                        + (min.isZero()
                            ? "0s"
                            : min.toSeconds() >= 1 ? min.toSeconds() + "s" : min.toMillis() + "ms")
                        + ")");
              }
              return d;
            })
        .orElse(min);
  }

  static Duration parseDuration(String v) {
    Matcher m = DURATION.matcher(v.toLowerCase(Locale.ROOT));
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    }
    try {
      Duration d = Duration.parse(v);
      if (d.isNegative()) {
        throw new IllegalArgumentException("negative; give a duration of zero or more");
      }
      return d;
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "not a duration; use a whole number with ms, s, m, h or d"
              + " (500ms, 30s, 5m, 2h, 1d) or ISO-8601 (PT5M)");
    }
  }
}
