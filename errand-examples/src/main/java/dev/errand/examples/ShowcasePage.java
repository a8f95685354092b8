package dev.errand.examples;

import java.util.List;

/** The HTML of the demo page: one card per app. Everything shown is escaped. */
final class ShowcasePage {
  private ShowcasePage() {}

  static String render(List<Showcase.App> apps, String dashboardUrl) {
    StringBuilder h = new StringBuilder(8_192);
    h.append(
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Errand demo: the reference systems</title>
        <style>
          body { font: 15px/1.5 system-ui, sans-serif; margin: 0; background: #f5f7fa; color: #1d2733; }
          header { background: #1d2733; color: #fff; padding: 16px 24px; }
          header a { color: #9cc7ff; }
          main { max-width: 980px; margin: 0 auto; padding: 16px; }
          .app { background: #fff; border: 1px solid #dde3ea; border-radius: 8px; padding: 16px 20px;
                 margin: 16px 0; }
          .app h2 { margin: 0 0 4px; font-size: 18px; }
          .seed { color: #5d6878; font-size: 13px; }
          .links a { margin-right: 16px; }
          pre { background: #f0f3f7; padding: 8px 10px; border-radius: 6px; overflow-x: auto;
                font-size: 12.5px; margin: 6px 0; white-space: pre-wrap; word-break: break-all; }
        </style>
        </head>
        <body>
        <header><strong>Errand demo</strong> — the five source applications rebuilt on Errand.

        """);
    h.append(" The server's own demo workload is on <a href=\"")
        .append(escape(dashboardUrl))
        .append("\">its dashboard</a>.</header>\n<main>\n");
    h.append(
        "<p>Each app runs on its own port with its own database file and Errand engine; its"
            + " dashboard shows that engine's jobs. See docs/examples.md for every endpoint.</p>\n");
    for (Showcase.App a : apps) {
      h.append("<section class=\"app\" data-app=\"").append(escape(a.id())).append("\">\n");
      h.append("<h2>").append(escape(a.name())).append("</h2>\n");
      h.append("<div class=\"seed\">seed ").append(escape(a.seed())).append("</div>\n");
      h.append("<p>").append(escape(a.summary())).append("</p>\n<p class=\"links\">");
      if (a.page() != null) {
        h.append("<a href=\"").append(escape(a.page())).append("\">open its page</a>");
      }
      if (a.durable()) {
        h.append("<a href=\"/examples/")
            .append(escape(a.id()))
            .append("/dashboard\">its jobs (dashboard)</a>");
      }
      h.append("<span class=\"seed\">API at ").append(escape(a.baseUrl())).append("</span></p>\n");
      for (String cmd : a.tryIt()) {
        h.append("<pre>").append(escape(cmd)).append("</pre>\n");
      }
      h.append("</section>\n");
    }
    h.append("</main>\n</body>\n</html>\n");
    return h.toString();
  }

  static String escape(String s) {
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
