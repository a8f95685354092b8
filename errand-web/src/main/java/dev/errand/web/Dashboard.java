package dev.errand.web;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The dashboard: a static page, its script and styles, and the uPlot chart library (from its
 * webjar), all served from the jar under {@code <pathPrefix>/dashboard}. The page holds no data:
 * everything it shows it reads from the JSON API and the event stream with the browser's own
 * requests, so the API's checks (keys, scopes, cross-site) apply to it unchanged.
 *
 * <p>Who may load the page: without API keys, loopback clients with a loopback {@code Host} only
 * (the API's rule); with keys, anyone, since the page is public code and asks for a key before it
 * reads anything. Every answer forbids framing and carries a Content-Security-Policy that allows
 * only this origin's scripts, so data the page inserts as text can never become code.
 */
final class Dashboard {
  static final String UPLOT_VERSION = "1.6.30";
  private static final String OWN = "dev/errand/web/dashboard/";
  private static final String UPLOT =
      "META-INF/resources/webjars/uplot/" + UPLOT_VERSION + "/dist/";
  static final String CSP =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
          + " connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private record Asset(String contentType, byte[] bytes) {}

  private Dashboard() {}

  /** Adds the dashboard's routes under {@code config.pathPrefix()}. */
  static void mount(RoutesConfig r, WebConfig config, Guard guard) {
    String p = config.pathPrefix();
    Map<String, Asset> assets = new LinkedHashMap<>();
    assets.put("app.js", load(OWN + "app.js", "text/javascript; charset=utf-8"));
    assets.put("app.css", load(OWN + "app.css", "text/css; charset=utf-8"));
    assets.put("favicon.svg", load(OWN + "favicon.svg", "image/svg+xml"));
    assets.put(
        "uPlot.iife.min.js", load(UPLOT + "uPlot.iife.min.js", "text/javascript; charset=utf-8"));
    assets.put("uPlot.min.css", load(UPLOT + "uPlot.min.css", "text/css; charset=utf-8"));
    String page =
        new String(load(OWN + "index.html", "text/html").bytes(), StandardCharsets.UTF_8)
            .replace("{{base}}", p); // the prefix is validated to [A-Za-z0-9._~-/] by WebConfig
    Asset index = new Asset("text/html; charset=utf-8", page.getBytes(StandardCharsets.UTF_8));
    r.get(p + "/dashboard", serve(index, config, guard));
    assets.forEach(
        (name, asset) -> r.get(p + "/dashboard/assets/" + name, serve(asset, config, guard)));
  }

  private static Handler serve(Asset asset, WebConfig config, Guard guard) {
    return ctx -> {
      security(ctx);
      try {
        guard.check(ctx, Scope.READ, config.hasApiKeys());
        Request.onlyParams(ctx, java.util.Set.of());
      } catch (ApiException x) {
        ctx.status(x.status())
            .contentType("application/json; charset=utf-8")
            .result(Json.write(Json.error(x.code(), x.getMessage())));
        return;
      }
      ctx.status(200)
          .header("Cache-Control", "no-cache")
          .contentType(asset.contentType())
          .result(asset.bytes());
    };
  }

  private static void security(Context ctx) {
    ctx.header("Content-Security-Policy", CSP)
        .header("X-Frame-Options", "DENY")
        .header("X-Content-Type-Options", "nosniff")
        .header("Referrer-Policy", "no-referrer");
  }

  private static Asset load(String resource, String contentType) {
    try (InputStream in = Dashboard.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException(
            "dashboard resource "
                + resource
                + " is missing from the"
                + " classpath; the errand-web jar (or the uplot "
                + UPLOT_VERSION
                + " webjar) is incomplete");
      }
      return new Asset(contentType, in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException("reading dashboard resource " + resource, e);
    }
  }
}
