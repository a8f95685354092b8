package dev.errand.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.errand.web.WebFixture.Res;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's page and assets over a real socket: served from the jar, with their headers and
 * the API's access rules.
 */
class DashboardRoutesTest {
  static final String KEY = "dashboard-key-0123456789";

  @TempDir Path dir;
  WebFixture f;

  @AfterEach
  void stop() {
    if (f != null) {
      assertThat(f.web.internalErrors()).isZero();
      f.close();
    }
  }

  @Test
  void the_page_and_its_assets_come_from_the_jar_with_a_strict_content_security_policy() {
    f = new WebFixture(dir, b -> {});
    Res page = f.get("/dashboard");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/html");
    assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow())
        .contains("script-src 'self'")
        .contains("frame-ancestors 'none'")
        .doesNotContain("unsafe");
    assertThat(page.headers().firstValue("X-Frame-Options")).hasValue("DENY");
    assertThat(page.body())
        .doesNotContain("{{base}}")
        .doesNotContain("http://")
        .doesNotContain("https://")
        .contains("<meta name=\"errand-base\" content=\"\">")
        .contains("src=\"/dashboard/assets/app.js\"")
        .contains("src=\"/dashboard/assets/uPlot.iife.min.js\"");
    assertThat(page.body())
        .as("no inline script: the policy would block it")
        .doesNotContainPattern("<script>");
    String[][] assets = {
      {"app.js", "text/javascript"},
      {"app.css", "text/css"},
      {"favicon.svg", "image/svg+xml"},
      {"uPlot.iife.min.js", "text/javascript"},
      {"uPlot.min.css", "text/css"}
    };
    for (String[] a : assets) {
      Res r = f.get("/dashboard/assets/" + a[0]);
      assertThat(r.status()).as(a[0]).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type").orElseThrow()).as(a[0]).startsWith(a[1]);
      assertThat(r.body()).as(a[0]).isNotBlank();
    }
    assertThat(f.get("/dashboard/assets/uPlot.iife.min.js").body()).contains("uPlot");
    assertThat(f.get("/dashboard/assets/app.js").body())
        .as("data is never inserted as markup")
        .doesNotContain("innerHTML")
        .doesNotContain("outerHTML")
        .doesNotContain("insertAdjacentHTML")
        .doesNotContain("document.write")
        .doesNotContain("eval(");
    assertThat(f.get("/dashboard/assets/nothing.js").code()).isEqualTo("route_not_found");
    assertThat(f.get("/dashboard?x=1").code()).isEqualTo("invalid_parameter");
  }

  @Test
  void under_a_path_prefix_the_page_points_at_the_prefixed_api_and_assets() {
    f = new WebFixture(dir, b -> b.pathPrefix("/ops/errand"));
    Res page = f.get("/ops/errand/dashboard");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.body())
        .contains("<meta name=\"errand-base\" content=\"/ops/errand\">")
        .contains("src=\"/ops/errand/dashboard/assets/app.js\"");
    assertThat(f.get("/ops/errand/dashboard/assets/app.css").status()).isEqualTo(200);
    assertThat(f.get("/dashboard").status()).isEqualTo(404);
  }

  @Test
  void with_api_keys_the_page_loads_without_one_but_the_data_needs_it() {
    f = new WebFixture(dir, b -> b.apiKey(KEY, Scope.ADMIN));
    assertThat(f.get("/dashboard").status()).isEqualTo(200);
    assertThat(f.get("/dashboard/assets/app.js").status()).isEqualTo(200);
    assertThat(f.get("/api/jobs").code()).isEqualTo("missing_api_key");
  }

  @Test
  void without_api_keys_the_page_is_refused_to_a_foreign_host_name() throws IOException {
    f = new WebFixture(dir, b -> {});
    try (Socket s = new Socket("127.0.0.1", f.web.port())) {
      OutputStream out = s.getOutputStream();
      out.write(
          ("GET /dashboard HTTP/1.1\r\nHost: rebound.example\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      assertThat(answer)
          .startsWith("HTTP/1.1 403")
          .contains("host_not_allowed")
          .doesNotContain("<html");
    }
  }
}
