package dev.errand.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.errand.web.WebFixture.Res;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import org.junit.jupiter.api.Test;

/**
 * Every kind of bad input gets a JSON error with a stable code and a message naming what to fix,
 * nothing is stored, and none reaches the catch-all that answers 500.
 */
class BadInputTest extends FixtureTest {
  @Override
  void configure(WebConfig.Builder b) {
    b.maxBatch(5);
  }

  private static Res bad(Res r, int status, String code, String... inMessage) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
    assertThat(r.code()).as(r.body()).isEqualTo(code);
    assertThat(r.message()).isNotBlank();
    for (String m : inMessage) {
      assertThat(r.message()).contains(m);
    }
    return r;
  }

  private Res enqueue(String body) {
    return f.post("/api/jobs", body);
  }

  @Test
  void malformed_or_misshapen_enqueue_bodies_are_refused_and_store_nothing() {
    bad(enqueue("{\"type\":"), 400, "invalid_json", "not valid JSON", "line 1");
    bad(enqueue(null), 400, "invalid_json", "empty");
    bad(enqueue("{\"type\":\"send-email\"} trailing"), 400, "invalid_json");
    bad(enqueue("[1,2]"), 400, "invalid_body", "must be a JSON object");
    bad(enqueue("\"text\""), 400, "invalid_body");
    bad(
        enqueue("{\"type\":\"send-email\",\"payload\":{},\"priorty\":1}"),
        400,
        "invalid_body",
        "unknown field 'priorty'");
    bad(enqueue("{\"payload\":{}}"), 400, "invalid_body", "'type' is required");
    bad(enqueue("{\"type\":5,\"payload\":{}}"), 400, "invalid_body", "'type' must be a string");
    bad(enqueue("{\"type\":\"send-email\"}"), 400, "invalid_body", "'payload' is required");
    bad(enqueue("[".repeat(5000) + "]".repeat(5000)), 400, "invalid_json");
    assertThat(f.errand.jobs(dev.errand.JobQuery.all().type("send-email")).jobs()).isEmpty();
  }

  @Test
  void unknown_and_not_remotely_enqueueable_types_are_refused() {
    bad(
        enqueue("{\"type\":\"no-such\",\"payload\":{}}"),
        400,
        "unknown_type",
        "no-such",
        "send-email");
    bad(
        enqueue("{\"type\":\"internal\",\"payload\":{}}"),
        403,
        "type_not_remotely_enqueueable",
        "remoteEnqueue");
    bad(enqueue("{\"type\":\"" + "x".repeat(5000) + "\",\"payload\":{}}"), 400, "unknown_type");
    bad(
        f.post("/api/jobs/batch", "{\"jobs\":[{\"type\":\"internal\",\"payload\":{}}]}"),
        403,
        "type_not_remotely_enqueueable",
        "jobs[0].type");
  }

  @Test
  void payloads_that_do_not_map_to_the_type_are_refused() {
    bad(
        enqueue("{\"type\":\"send-email\",\"payload\":{\"to\":\"a\",\"nope\":1}}"),
        422,
        "invalid_payload",
        "does not map to Email",
        "nope");
    bad(enqueue("{\"type\":\"send-email\",\"payload\":[1]}"), 422, "invalid_payload");
    bad(
        enqueue("{\"type\":\"send-email\",\"payload\":{\"to\":{\"x\":1}}}"),
        422,
        "invalid_payload");
    bad(enqueue("{\"type\":\"flaky\",\"payload\":\"hello\"}"), 422, "invalid_payload");
    bad(enqueue("{\"type\":\"flaky\",\"payload\":null}"), 422, "invalid_payload", "null");
    assertThat(f.errand.jobs(dev.errand.JobQuery.all().type("flaky")).jobs()).isEmpty();
  }

  @Test
  void bad_enqueue_options_are_refused_naming_the_field() {
    String p =
        "\"type\":\"send-email\",\"payload\":{\"to\":\"a\",\"subject\":\"s\",\"password\":null}";
    bad(enqueue("{" + p + ",\"priority\":\"high\"}"), 400, "invalid_body", "'priority'");
    bad(enqueue("{" + p + ",\"priority\":1e30}"), 400, "invalid_body", "'priority'");
    bad(enqueue("{" + p + ",\"priority\":99999999999}"), 400, "invalid_body", "'priority'");
    bad(enqueue("{" + p + ",\"maxAttempts\":0}"), 400, "invalid_body", "maxAttempts");
    bad(enqueue("{" + p + ",\"maxAttempts\":100000}"), 400, "invalid_body", "maxAttempts");
    bad(enqueue("{" + p + ",\"delay\":\"soon\"}"), 400, "invalid_body", "ISO-8601 duration");
    bad(enqueue("{" + p + ",\"delay\":\"PT-5S\"}"), 400, "invalid_body", "zero or positive");
    bad(enqueue("{" + p + ",\"delay\":\"PT999999999999H\"}"), 400, "invalid_body", "ten years");
    bad(
        enqueue("{" + p + ",\"delay\":\"PT5S\",\"runAt\":\"2030-01-01T00:00:00Z\"}"),
        400,
        "invalid_body",
        "not both");
    bad(enqueue("{" + p + ",\"runAt\":\"tomorrow\"}"), 400, "invalid_body", "ISO-8601 instant");
    bad(
        enqueue("{" + p + ",\"runAt\":\"+99999-01-01T00:00:00Z\"}"),
        400,
        "invalid_body",
        "between");
    bad(enqueue("{" + p + ",\"uniqueKey\":\"\"}"), 400, "invalid_body", "unique key");
    bad(enqueue("{" + p + ",\"uniqueKey\":\"a\\u0000b\"}"), 400, "invalid_body", "NUL");
    bad(
        enqueue("{" + p + ",\"uniqueKey\":\"" + "k".repeat(300) + "\"}"),
        400,
        "invalid_body",
        "1-255");
    bad(enqueue("{" + p + ",\"tags\":\"x\"}"), 400, "invalid_body", "array of strings");
    bad(enqueue("{" + p + ",\"tags\":[1]}"), 400, "invalid_body", "tags[0]");
    bad(enqueue("{" + p + ",\"tags\":[\"a,b\"]}"), 400, "invalid_body", "without commas");
    bad(enqueue("{" + p + ",\"queue\":\"bad queue!\"}"), 400, "invalid_body", "queue name");
    bad(enqueue("{" + p + ",\"queue\":7}"), 400, "invalid_body", "'queue' must be a string");
    assertThat(f.errand.jobs(dev.errand.JobQuery.all().type("send-email")).jobs()).isEmpty();
  }

  @Test
  void a_batch_with_one_bad_job_stores_none_and_names_the_bad_one() {
    String ok =
        "{\"type\":\"send-email\",\"payload\":{\"to\":\"a\",\"subject\":\"s\",\"password\":null}}";
    bad(
        f.post(
            "/api/jobs/batch",
            "{\"jobs\":[" + ok + ",{\"type\":\"send-email\",\"payload\":{\"x\":1}}]}"),
        422,
        "invalid_payload",
        "jobs[1].payload");
    bad(
        f.post(
            "/api/jobs/batch",
            "{\"jobs\":[" + ok + ",{\"type\":\"send-email\",\"payload\":{},\"priority\":\"x\"}]}"),
        400,
        "invalid_body",
        "jobs[1].priority");
    bad(f.post("/api/jobs/batch", "{\"jobs\":[]}"), 400, "invalid_body", "non-empty array");
    bad(f.post("/api/jobs/batch", "{\"jobs\":{}}"), 400, "invalid_body");
    bad(
        f.post("/api/jobs/batch", "{\"jobs\":[" + (ok + ",").repeat(5) + ok + "]}"),
        400,
        "batch_too_large",
        "at most 5");
    bad(f.post("/api/jobs/batch", "{\"jobs\":[1]}"), 400, "invalid_body", "jobs[0]");
    assertThat(f.errand.jobs(dev.errand.JobQuery.all().type("send-email")).jobs()).isEmpty();
  }

  @Test
  void oversized_and_non_json_bodies_are_refused() {
    String big = "{\"type\":\"send-email\",\"payload\":{\"to\":\"" + "a".repeat(2 << 20) + "\"}}";
    bad(enqueue(big), 413, "body_too_large", "at most 1048576 bytes");
    Res chunked =
        f.send(
            f.request("/api/jobs")
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(big.getBytes()))));
    bad(chunked, 413, "body_too_large");
    bad(
        f.send(
            f.request("/api/jobs")
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"send-email\"}"))),
        415,
        "unsupported_media_type");
    bad(
        f.send(
            f.request("/api/jobs")
                .POST(HttpRequest.BodyPublishers.ofString("a=1"))
                .header("Content-Type", "application/x-www-form-urlencoded")),
        415,
        "unsupported_media_type");
  }

  @Test
  void bad_list_filters_and_paging_values_are_refused() {
    bad(f.get("/api/jobs?state=DONE"), 400, "invalid_parameter", "unknown job state 'DONE'");
    bad(f.get("/api/jobs?state="), 400, "invalid_parameter");
    bad(f.get("/api/jobs?limit=0"), 400, "invalid_parameter", "limit", "1 to 1000");
    bad(f.get("/api/jobs?limit=1001"), 400, "invalid_parameter", "1 to 1000");
    bad(f.get("/api/jobs?limit=ten"), 400, "invalid_parameter", "'ten'");
    bad(f.get("/api/jobs?limit=1&limit=2"), 400, "invalid_parameter", "2 times");
    bad(f.get("/api/jobs?cursor=abc"), 400, "invalid_parameter", "cursor");
    bad(f.get("/api/jobs?cursor=-5"), 400, "invalid_parameter", "cursor");
    bad(f.get("/api/jobs?cursor=99999999999999999999"), 400, "invalid_parameter", "cursor");
    bad(f.get("/api/jobs?from=yesterday"), 400, "invalid_parameter", "ISO-8601 instant");
    bad(
        f.get("/api/jobs?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z"),
        400,
        "invalid_parameter",
        "time range is empty");
    bad(f.get("/api/jobs?stat=FAILED"), 400, "invalid_parameter", "unknown query parameter 'stat'");
    bad(f.get("/api/jobs?type=a%00b"), 400, "invalid_parameter", "control characters");
    bad(f.get("/api/jobs?tag=" + "t".repeat(300)), 400, "invalid_parameter", "1-255");
    bad(f.get("/api/jobs/abc"), 400, "invalid_parameter", "positive whole number");
    bad(f.get("/api/jobs/0"), 400, "invalid_parameter");
    bad(f.get("/api/jobs/99999999999999999999"), 400, "invalid_parameter");
    bad(f.get("/api/jobs/123456"), 404, "not_found", "job 123456 does not exist");
    bad(f.get("/api/jobs/1?x=1"), 400, "invalid_parameter");
    bad(f.get("/api/stats?window=PT1S"), 400, "invalid_parameter", "PT1M to P30D");
    bad(f.get("/api/stats?window=forever"), 400, "invalid_parameter");
    bad(f.post("/api/jobs/bulk-retry", "{\"limit\":0}"), 400, "invalid_body", "limit");
    bad(
        f.post("/api/jobs/bulk-delete", "{\"state\":\"SUCCEEDED\"}"),
        400,
        "invalid_body",
        "unknown field 'state'");
    bad(f.post("/api/jobs/bulk-delete", "{\"from\":\"x\"}"), 400, "invalid_body", "ISO-8601");
    bad(f.post("/api/jobs/bulk-delete", null), 400, "invalid_json");
  }

  @Test
  void bad_schedule_definitions_are_refused_and_store_nothing() {
    String t =
        "\"type\":\"send-email\",\"payload\":{\"to\":\"a\",\"subject\":\"s\",\"password\":null}";
    bad(
        f.post("/api/schedules", "{\"name\":\"n\"," + t + ",\"schedule\":\"cron:nope\"}"),
        400,
        "invalid_schedule");
    bad(
        f.post(
            "/api/schedules", "{\"name\":\"n\"," + t + ",\"schedule\":\"daily:02:00@Mars/Base\"}"),
        400,
        "invalid_schedule");
    bad(
        f.post("/api/schedules", "{\"name\":\"n\"," + t + ",\"schedule\":\"daily:25:00@UTC\"}"),
        400,
        "invalid_schedule");
    bad(
        f.post("/api/schedules", "{\"name\":\"n\"," + t + ",\"schedule\":\"every:PT-1S\"}"),
        400,
        "invalid_schedule");
    bad(
        f.post("/api/schedules", "{\"name\":\"n\"," + t + ",\"schedule\":\"hourly\"}"),
        400,
        "invalid_schedule");
    bad(
        f.post(
            "/api/schedules",
            "{\"name\":\"n\"," + t + ",\"schedule\":\"every:PT1M\",\"misfire\":\"sometimes\"}"),
        400,
        "invalid_schedule",
        "misfire");
    bad(
        f.post(
            "/api/schedules",
            "{\"name\":\"n\"," + t + ",\"schedule\":\"every:PT1M\",\"lookAhead\":0}"),
        400,
        "invalid_schedule",
        "look-ahead");
    bad(
        f.post(
            "/api/schedules",
            "{\"name\":\"n\","
                + t
                + ",\"schedule\":\"every:PT1M\",\"startAt\":\"2000-01-01T00:00:00Z\"}"),
        400,
        "invalid_schedule");
    bad(
        f.post(
            "/api/schedules", "{\"name\":\"errand.prune\"," + t + ",\"schedule\":\"every:PT1M\"}"),
        400,
        "invalid_schedule",
        "reserved");
    bad(
        f.post("/api/schedules", "{\"name\":\"bad name\"," + t + ",\"schedule\":\"every:PT1M\"}"),
        400,
        "invalid_schedule",
        "schedule name");
    bad(
        f.post("/api/schedules", "{" + t + ",\"schedule\":\"every:PT1M\"}"),
        400,
        "invalid_body",
        "'name' is required");
    bad(
        f.post(
            "/api/schedules",
            "{\"name\":\"n\",\"type\":\"internal\",\"payload\":{},\"schedule\":\"every:PT1M\"}"),
        403,
        "type_not_remotely_enqueueable");
    bad(
        f.post(
            "/api/schedules",
            "{\"name\":\"n\",\"type\":\"send-email\",\"payload\":{\"x\":1},\"schedule\":\"every:PT1M\"}"),
        422,
        "invalid_payload");
    bad(
        f.post("/api/schedules/validate", "{" + t + ",\"schedule\":\"cron:61 * * * *@UTC\"}"),
        400,
        "invalid_schedule");
    bad(
        f.post("/api/schedules/validate?count=1000", "{" + t + ",\"schedule\":\"every:PT1M\"}"),
        400,
        "invalid_parameter");
    bad(f.delete("/api/schedules/missing"), 404, "not_found", "'missing' does not exist");
    bad(f.post("/api/schedules/missing/trigger", null), 404, "not_found");
    bad(f.post("/api/schedules/missing/pause", null), 404, "not_found");
    bad(f.get("/api/schedules/bad%20name"), 400, "invalid_parameter");
    bad(f.delete("/api/schedules/errand.prune"), 403, "built_in_schedule");
    assertThat(f.errand.schedule("n")).isEmpty();
  }

  @Test
  void unknown_routes_methods_queues_and_event_ids_get_json_errors() {
    bad(f.get("/api/nope"), 404, "route_not_found");
    bad(
        f.send(
            f.request("/api/jobs")
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{}"))),
        405,
        "method_not_allowed");
    bad(f.post("/api/queues/bad%20queue/pause", null), 400, "invalid_parameter", "queue name");
    bad(
        f.send(f.request("/api/events").header("Last-Event-ID", "garbage")),
        400,
        "invalid_parameter",
        "Last-Event-ID");
    bad(f.send(f.request("/api/jobs/777/events")), 404, "not_found");
    bad(f.get("/api/queues?x=1"), 400, "invalid_parameter");
  }

  @Test
  void malformed_http_is_answered_with_json_errors_too() throws Exception {
    int port = f.web.port();
    String badUri =
        SecurityTest.raw(
            port, "GET /api/jobs/%zz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assertThat(badUri)
        .startsWith("HTTP/1.1 400")
        .contains("application/json")
        .contains("\"code\":\"bad_request\"");
    String badQuery =
        SecurityTest.raw(
            port,
            "GET /api/jobs?limit=%zz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assertThat(badQuery)
        .startsWith("HTTP/1.1 400")
        .contains("\"code\":\"invalid_parameter\"")
        .contains("percent-escape");
    String bigHeaders =
        SecurityTest.raw(
            port,
            "GET /api/jobs HTTP/1.1\r\nHost: localhost\r\nX-Big: "
                + "a".repeat(20_000)
                + "\r\nConnection: close\r\n\r\n");
    assertThat(bigHeaders).startsWith("HTTP/1.1 431").contains("\"code\":\"headers_too_large\"");
    String notUtf8 =
        SecurityTest.raw(
            port,
            "POST /api/jobs HTTP/1.1\r\nHost: localhost\r\nContent-Type:"
                + " application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n\u00ff\u00fe\u00fd{}");
    assertThat(notUtf8).startsWith("HTTP/1.1 400").contains("\"code\":\"invalid_json\"");
    String dotDot =
        SecurityTest.raw(
            port,
            "GET /api/jobs/1/../../health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assertThat(dotDot).startsWith("HTTP/1.1 404").contains("\"code\":\"route_not_found\"");
    String preflight =
        SecurityTest.raw(
            port,
            "OPTIONS /api/jobs HTTP/1.1\r\nHost: localhost\r\nOrigin: http://evil.example"
                + "\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n");
    assertThat(preflight)
        .as("no CORS: a cross-site page cannot send custom headers or JSON")
        .startsWith("HTTP/1.1 405")
        .doesNotContain("Access-Control-Allow");
  }

  @Test
  void random_schedule_texts_and_list_filters_never_reach_the_catch_all() {
    java.util.Random random = new java.util.Random(20261201);
    String[] parts = {
      "cron:",
      "daily:",
      "weekly:",
      "monthly:",
      "every:",
      "*",
      "/",
      "-",
      ",",
      " ",
      "@",
      "UTC",
      "Europe/London",
      "+05:30",
      "Mars/Base",
      "0",
      "31",
      "59",
      "60",
      "99999999999",
      "02:00",
      "25:61",
      "SUNDAY",
      "L",
      "W",
      "#",
      "?",
      "PT1S",
      "PT-1S",
      "P1D",
      "from ",
      "2024-01-01T00:00:00Z",
      ":",
      "\\u00e9"
    };
    for (int i = 0; i < 300; i++) {
      StringBuilder text = new StringBuilder();
      for (int n = random.nextInt(8); n >= 0; n--) {
        text.append(parts[random.nextInt(parts.length)]);
      }
      String body =
          "{\"type\":\"flaky\",\"payload\":{},\"schedule\":" + Json.write(text.toString()) + "}";
      Res r = f.post("/api/schedules/validate", body);
      assertThat(r.status()).as(text + " -> " + r.body()).isIn(200, 400);
      if (r.status() == 400) {
        assertThat(r.code()).isEqualTo("invalid_schedule");
      }
    }
    String[] params = {"state", "type", "queue", "tag", "from", "to", "limit", "cursor"};
    String[] values = {
      "",
      "x",
      "-1",
      "0",
      "1",
      "1000",
      "1001",
      "FAILED",
      "failed,queued",
      "%25",
      "%00",
      "%C3%A9",
      "2024-01-01T00:00:00Z",
      "9999-12-31T23:59:59Z",
      "0001-01-01T00:00:00Z",
      "9223372036854775807",
      "1e3"
    };
    for (int i = 0; i < 300; i++) {
      StringBuilder q = new StringBuilder("/api/jobs?");
      for (int n = random.nextInt(3); n >= 0; n--) {
        q.append(params[random.nextInt(params.length)])
            .append('=')
            .append(values[random.nextInt(values.length)])
            .append('&');
      }
      Res r = f.get(q.toString());
      assertThat(r.status()).as(q + " -> " + r.body()).isIn(200, 400);
    }
  }
}
