package dev.errand.web;

import io.javalin.http.Context;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.security.MessageDigest;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Decides whether a request may go on: API keys (compared in constant time, on SHA-256 digests),
 * scopes, loopback-only service without keys, and cross-site request checks for state-changing
 * methods. Every refusal is an {@link ApiException} with a stable code.
 */
final class Guard {
  private static final Set<String> LOOPBACK_HOSTS =
      Set.of("localhost", "127.0.0.1", "[::1]", "::1");

  private final WebConfig config;

  Guard(WebConfig config) {
    this.config = config;
  }

  /**
   * Checks {@code ctx} for an endpoint that needs {@code scope}; {@code open} skips the key check.
   */
  void check(Context ctx, Scope scope, boolean open) {
    boolean changes = changesState(ctx.method().name());
    boolean withKey = presentedKey(ctx) != null;
    if (!open) {
      if (config.hasApiKeys()) {
        authorize(ctx, scope);
      } else {
        requireLoopback(ctx);
      }
    }
    if (changes) {
      requireSameOrigin(ctx, withKey);
    }
  }

  private void authorize(Context ctx, Scope needed) {
    String key = presentedKey(ctx);
    if (key == null) {
      ctx.header("WWW-Authenticate", "Bearer");
      throw new ApiException(
          401,
          "missing_api_key",
          "this API needs a key: send it as"
              + " 'Authorization: Bearer <key>' or 'X-API-Key: <key>'");
    }
    byte[] digest = WebConfig.sha256(key);
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    boolean matched = false;
    // Every configured key is compared, matching or not, so timing does not tell which one matched.
    for (WebConfig.ApiKey k : config.apiKeys()) {
      if (MessageDigest.isEqual(digest, k.sha256())) {
        matched = true;
        scopes.addAll(k.scopes());
      }
    }
    if (!matched) {
      ctx.header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      throw new ApiException(
          401,
          "invalid_api_key",
          "the API key is not valid; check for a typo or"
              + " a key that was rotated out of the configuration");
    }
    if (scopes.stream().noneMatch(s -> s.covers(needed))) {
      throw new ApiException(
          403,
          "insufficient_scope",
          "this request needs an API key with scope '"
              + needed.label()
              + "' (or 'admin'); this key has "
              + scopes.stream().map(Scope::label).sorted().toList());
    }
  }

  private void requireLoopback(Context ctx) {
    String remote = ctx.req().getRemoteAddr();
    if (!isLoopback(remote)) {
      throw new ApiException(
          403,
          "loopback_only",
          "no API key is configured, so this API answers"
              + " loopback clients only (this request came from "
              + remote
              + "); configure a key with"
              + " WebConfig.builder().apiKey(key, scopes) to serve other addresses");
    }
    String host = hostName(ctx.header("Host"));
    if (host == null || !(LOOPBACK_HOSTS.contains(host) || config.allowedHosts().contains(host))) {
      throw new ApiException(
          403,
          "host_not_allowed",
          "without API keys only the Host names localhost,"
              + " 127.0.0.1 and [::1] are served (got '"
              + ctx.header("Host")
              + "'), which keeps other web"
              + " sites out through DNS rebinding; add a name with WebConfig.builder().allowedHosts(...)");
    }
  }

  /**
   * Refuses a state-changing request a browser could have sent from another site: one whose {@code
   * Sec-Fetch-Site} says cross-site, whose {@code Origin} is not this server, or that has neither
   * an API key header nor a JSON content type (an HTML form can send neither).
   */
  private static void requireSameOrigin(Context ctx, boolean withKey) {
    String site = ctx.header("Sec-Fetch-Site");
    if (site != null && !(site.equals("same-origin") || site.equals("none"))) {
      throw new ApiException(
          403,
          "cross_site_request",
          "state-changing requests from another site are"
              + " refused (Sec-Fetch-Site: "
              + site
              + "); call the API from its own origin or a server");
    }
    String origin = ctx.header("Origin");
    if (origin != null) {
      String host = ctx.header("Host");
      String originHost = originAuthority(origin);
      if (originHost == null || host == null || !originHost.equalsIgnoreCase(host)) {
        throw new ApiException(
            403,
            "cross_site_request",
            "state-changing requests from another origin"
                + " are refused (Origin "
                + Fields.clip(origin)
                + " is not "
                + host
                + ")");
      }
    }
    if (!withKey && !isJson(ctx.contentType())) {
      throw new ApiException(
          415,
          "unsupported_media_type",
          "state-changing requests need"
              + " 'Content-Type: application/json' (even without a body), or an API key header; this keeps"
              + " cross-site HTML forms out");
    }
  }

  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String base = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return base.equals("application/json");
  }

  static boolean changesState(String method) {
    return !(method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS"));
  }

  private static String presentedKey(Context ctx) {
    String auth = ctx.header("Authorization");
    if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      String k = auth.substring(7).trim();
      return k.isEmpty() ? null : k;
    }
    String k = ctx.header("X-API-Key");
    return k == null || k.isBlank() ? null : k.trim();
  }

  static boolean isLoopback(String address) {
    if (address == null || address.isEmpty()) {
      return false;
    }
    String a =
        address.startsWith("[") && address.endsWith("]")
            ? address.substring(1, address.length() - 1)
            : address;
    if (!(a.indexOf(':') >= 0 || Character.isDigit(a.charAt(0)))) {
      return false; // not an IP literal: never resolve names here
    }
    try {
      return InetAddress.getByName(a).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static String hostName(String hostHeader) {
    if (hostHeader == null || hostHeader.isBlank()) {
      return null;
    }
    String h = hostHeader.trim().toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      int end = h.indexOf(']');
      return end < 0 ? null : h.substring(0, end + 1);
    }
    int colon = h.indexOf(':');
    return colon < 0 ? h : h.substring(0, colon);
  }

  private static String originAuthority(String origin) {
    try {
      URI u = URI.create(origin);
      if (u.getHost() == null || u.getScheme() == null) {
        return null;
      }
      return u.getRawAuthority();
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
