package dev.errand.server.http;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which hosts {@code http} jobs may call: exact host names or IP literals ({@code api.example.com},
 * {@code 10.0.0.5}), or every subdomain of a domain ({@code *.example.com}, which does not match
 * {@code example.com} itself). An empty list allows every host. Immutable.
 */
final class HostRule {
  private static final Pattern ENTRY =
      Pattern.compile("(\\*\\.)?[a-z0-9]([a-z0-9.\\-]*[a-z0-9])?|\\[[0-9a-f:.]+\\]");

  private final List<String> entries;

  private HostRule(List<String> entries) {
    this.entries = entries;
  }

  /**
   * The rule for {@code entries}, lower-cased.
   *
   * @throws IllegalArgumentException naming the first entry that is not a host, IP or {@code
   *     *.domain}
   */
  static HostRule of(List<String> entries) {
    List<String> normalized = entries.stream().map(e -> e.trim().toLowerCase(Locale.ROOT)).toList();
    for (String e : normalized) {
      if (!ENTRY.matcher(e).matches()) {
        throw new IllegalArgumentException(
            "allowed host '"
                + e
                + "' is not a host name, an IP address or *.domain"
                + " (e.g. api.example.com, 10.0.0.5, [::1], *.internal.example.com)");
      }
    }
    return new HostRule(normalized);
  }

  boolean allowsAll() {
    return entries.isEmpty();
  }

  boolean allows(String host) {
    if (entries.isEmpty()) {
      return true;
    }
    String h = host.toLowerCase(Locale.ROOT);
    for (String e : entries) {
      if (e.startsWith("*.") ? h.endsWith(e.substring(1)) : h.equals(e)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return entries.isEmpty() ? "any host" : entries.toString();
  }
}
