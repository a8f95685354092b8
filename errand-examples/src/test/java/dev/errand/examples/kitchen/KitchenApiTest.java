package dev.errand.examples.kitchen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.Backoff;
import dev.errand.JobQuery;
import dev.errand.examples.TestHttp;
import io.javalin.Javalin;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** 004's flows over HTTP on SQLite: submitting, bad input, failures, retries, restarts. */
class KitchenApiTest extends KitchenTestBase {

  @Test
  void submitting_answers_202_at_once_and_the_task_runs_in_the_background() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    start(config().beforeWork((jobId, attempt) -> release.await()));

    TestHttp.Response r =
        http.post(
            "/api/production",
            "{\"preparationId\":\"tomato-sauce\",\"quantity\":1000,\"userName\":\"Sari\"}");

    assertThat(r.status()).isEqualTo(202);
    long id = r.json().get("id").asLong();
    assertThat(r.header("Location")).isEqualTo("/api/tasks/" + id);
    assertThat(r.json().get("description").asText()).isEqualTo("Production: Tomato sauce 1000 g");
    assertThat(r.json().get("status").asText()).isIn("queued", "processing");
    events.awaitEvent(id, "started");
    JsonNode lists = http.get("/api/tasks").json();
    assertThat(ids(lists.get("processing"))).containsExactly(id);
    assertThat(lists.get("history")).isEmpty();
    assertThat(stock("tomatoes")).isEqualTo(5000); // nothing done yet

    release.countDown();

    events.awaitEvent(id, "succeeded");
    assertThat(stock("tomatoes")).isEqualTo(4100);
    assertThat(stock("tomato-sauce")).isEqualTo(1000);
    assertThat(ids(http.get("/api/tasks").json().get("history"))).containsExactly(id);
  }

  @Test
  void bad_input_is_answered_with_400_saying_what_to_fix_and_enqueues_nothing() {
    start(config());

    assertBadRequest(
        "/api/production",
        "{\"preparationId\":\"pizza\",\"quantity\":5,\"userName\":\"Sari\"}",
        "unknown preparation 'pizza': preparationId must be one of [hummus, lime-syrup,"
            + " tomato-sauce]");
    assertBadRequest(
        "/api/production",
        "{\"preparationId\":\"chickpeas\",\"quantity\":5,\"userName\":\"Sari\"}",
        "unknown preparation 'chickpeas'");
    assertBadRequest(
        "/api/production",
        "{\"preparationId\":\"hummus\",\"quantity\":0,\"userName\":\"Sari\"}",
        "quantity must be more than 0 g of Hummus, got 0");
    assertBadRequest(
        "/api/production",
        "{\"preparationId\":\"hummus\",\"quantity\":-5,\"userName\":\"Sari\"}",
        "quantity must be more than 0 g of Hummus, got -5");
    assertBadRequest(
        "/api/production",
        "{\"preparationId\":\"hummus\",\"quantity\":2.5,\"userName\":\"Sari\"}",
        "quantity must be a whole number of g");
    assertBadRequest(
        "/api/production",
        "{\"preparationId\":\"hummus\",\"userName\":\"Sari\"}",
        "quantity is required: how many g of Hummus");
    assertBadRequest(
        "/api/production", "{\"preparationId\":\"hummus\",\"quantity\":5}", "userName is required");
    assertBadRequest(
        "/api/production",
        "{\"preparationId\":\"hummus\",\"quantity\":5,\"userName\":\"Sari\",\"department\":\"spa\"}",
        "department must be one of [kitchen, bar], got spa");
    assertBadRequest("/api/production", "{\"preparationId\":\"hummus\",", "not valid");
    assertBadRequest(
        "/api/production",
        "{\"preparationId\":\"hummus\",\"quantity\":5,\"userName\":\"S\",\"colour\":\"red\"}",
        "colour");
    assertBadRequest("/api/production", "", "the request body is not valid");
    assertBadRequest(
        "/api/write-offs",
        "{\"kind\":\"thing\",\"items\":[],\"reason\":\"expired\",\"userName\":\"J\"}",
        "kind must be 'product' or 'preparation'");
    assertBadRequest(
        "/api/write-offs",
        "{\"kind\":\"product\",\"items\":[],\"reason\":\"expired\",\"userName\":\"J\"}",
        "items must list 1-50 {itemId, quantity} lines");
    assertBadRequest(
        "/api/write-offs",
        "{\"kind\":\"product\",\"items\":[{\"itemId\":\"chickpeas\",\"quantity\":1}],"
            + "\"reason\":\"bored\",\"userName\":\"J\"}",
        "reason must be one of [expired, spoiled, damaged, other], got bored");
    assertBadRequest(
        "/api/write-offs",
        "{\"kind\":\"product\",\"items\":[{\"itemId\":\"hummus\",\"quantity\":1}],"
            + "\"reason\":\"expired\",\"userName\":\"J\"}",
        "items[0]: unknown product 'hummus': itemId must be one of");
    assertBadRequest(
        "/api/write-offs",
        "{\"kind\":\"product\",\"items\":[{\"itemId\":\"onion\",\"quantity\":1},"
            + "{\"itemId\":\"onion\",\"quantity\":2}],\"reason\":\"expired\",\"userName\":\"J\"}",
        "items[1]: onion is listed twice");
    assertBadRequest(
        "/api/write-offs",
        "{\"kind\":\"product\",\"items\":[{\"itemId\":\"onion\",\"quantity\":0}],"
            + "\"reason\":\"expired\",\"userName\":\"J\"}",
        "items[0].quantity must be more than 0 g of Onion");
    assertBadRequest(
        "/api/stock/receipts",
        "{\"productId\":\"gold\",\"quantity\":1,\"unitCost\":1}",
        "unknown product 'gold'");

    assertThat(app.errand().jobs(JobQuery.all().queue(KitchenJobs.QUEUE)).jobs()).isEmpty();
    assertThat(http.get("/api/tasks/999").status()).isEqualTo(404);
    assertThat(http.post("/api/tasks/999/retry", "").status()).isEqualTo(404);
  }

  private void assertBadRequest(String path, String body, String message) {
    TestHttp.Response r = http.post(path, body);
    assertThat(r.status()).as(body + " -> " + r.body()).isEqualTo(400);
    assertThat(r.json().get("error").asText()).isEqualTo("BadRequest");
    assertThat(r.json().get("message").asText()).contains(message);
  }

  @Test
  void insufficient_stock_fails_the_task_at_once_and_a_manual_retry_after_a_delivery_succeeds() {
    start(config());

    long id = produce("hummus", 20000);

    JsonNode failed = events.awaitEvent(id, "failed");
    assertThat(failed.get("message").asText())
        .isEqualTo(
            "Production: Hummus 20000 g failed: not enough stock for 20000 g of Hummus: Chickpeas"
                + " needs 12000 g, 6000 g in stock; Lemon juice needs 2000 ml, 1000 ml in stock;"
                + " Tahini needs 4000 g, 2000 g in stock. Receive stock, then retry the task");
    JsonNode task = task(id);
    assertThat(task.get("status").asText()).isEqualTo("failed");
    assertThat(task.get("attempts").asInt()).isEqualTo(1); // a permanent failure: no retries
    assertThat(ids(http.get("/api/tasks").json().get("failed"))).containsExactly(id);
    assertThat(stock("chickpeas")).isEqualTo(6000); // rolled back: nothing taken
    assertThat(http.get("/api/kpi").json()).isEmpty();

    for (String delivery :
        new String[] {
          "{\"productId\":\"chickpeas\",\"quantity\":6000,\"unitCost\":40}",
          "{\"productId\":\"lemon-juice\",\"quantity\":1000,\"unitCost\":40}",
          "{\"productId\":\"tahini\",\"quantity\":2000,\"unitCost\":120}"
        }) {
      assertThat(http.post("/api/stock/receipts", delivery).status()).isEqualTo(201);
    }
    TestHttp.Response retry = http.post("/api/tasks/" + id + "/retry", "");
    assertThat(retry.status()).as(retry.body()).isEqualTo(202);

    events.awaitEvent(id, "succeeded");
    assertThat(stock("chickpeas")).isZero();
    assertThat(stock("hummus")).isEqualTo(20000);
    assertThat(http.get("/api/tasks").json().get("failed")).isEmpty();
    TestHttp.Response again = http.post("/api/tasks/" + id + "/retry", "");
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.json().get("message").asText())
        .isEqualTo("task " + id + " is completed; only failed or cancelled tasks can be retried");
  }

  @Test
  void a_failing_kpi_sink_is_retried_with_backoff_and_each_failed_attempt_rolls_back() {
    FlakyKpiSink sink = new FlakyKpiSink(2);
    start(config().kpiSink(sink));

    long id = writeOff("product", "tomatoes", 1000, "spoiled", true);

    events.awaitEvent(id, "succeeded");
    assertThat(events.kinds(id))
        .containsSubsequence(
            "started", "retry_scheduled", "started", "retry_scheduled", "started", "succeeded");
    JsonNode retrying =
        events.tasks.stream()
            .filter(t -> t.get("id").asLong() == id)
            .filter(t -> t.get("event").asText().equals("retry_scheduled"))
            .findFirst()
            .orElseThrow();
    assertThat(retrying.get("message").asText())
        .startsWith("Write-off: Tomatoes 1000 g (spoiled): attempt 1 failed, retrying at ")
        .endsWith("KPI service unavailable");
    assertThat(sink.calls()).isEqualTo(3);
    assertThat(task(id).get("attempts").asInt()).isEqualTo(3);
    assertThat(stock("tomatoes")).isEqualTo(4000); // taken once, not three times
    assertThat(batches("tomatoes")).hasSize(1);
    assertThat(http.get("/api/kpi").json()).hasSize(1);
  }

  @Test
  void a_kpi_sink_that_keeps_failing_lands_the_task_in_the_failed_list_until_retried_by_hand() {
    FlakyKpiSink sink = new FlakyKpiSink(Integer.MAX_VALUE);
    start(config().kpiSink(sink));

    long id = produce("lime-syrup", 1000);

    JsonNode failed = events.awaitEvent(id, "failed");
    assertThat(failed.get("message").asText())
        .isEqualTo("Production: Lime syrup 1000 ml failed: KPI service unavailable");
    JsonNode lists = http.get("/api/tasks").json();
    assertThat(ids(lists.get("failed"))).containsExactly(id);
    assertThat(ids(lists.get("history"))).containsExactly(id);
    assertThat(lists.get("failed").get(0).get("attempts").asInt()).isEqualTo(3);
    assertThat(lists.get("failed").get(0).get("lastError").asText())
        .contains("KPI service unavailable");
    assertThat(stock("sugar")).isEqualTo(3000);
    assertThat(http.get("/api/alerts").json().findValuesAsText("key"))
        .contains("job-failed:kitchen.production:" + id);

    sink.fix();
    assertThat(http.post("/api/tasks/" + id + "/retry", "").status()).isEqualTo(202);

    events.awaitEvent(id, "succeeded");
    assertThat(stock("sugar")).isEqualTo(2500);
    assertThat(stock("lime-syrup")).isEqualTo(1000);
    assertThat(http.get("/api/tasks").json().get("failed")).isEmpty();
  }

  @Test
  void a_preparation_write_off_takes_from_the_produced_batches() {
    start(config());
    events.awaitEvent(produce("hummus", 500), "succeeded");

    long id = writeOff("preparation", "hummus", 200, "spoiled", true);

    JsonNode done = events.awaitEvent(id, "succeeded");
    assertThat(done.get("type").asText()).isEqualTo("preparation_writeoff");
    assertThat(stock("hummus")).isEqualTo(300);
    assertThat(http.get("/api/kpi").json().get(1).get("kind").asText())
        .isEqualTo("preparation_writeoff");
  }

  @Test
  void a_task_survives_a_restart_of_the_server_and_completes_once() {
    CountDownLatch never = new CountDownLatch(1);
    start(config().beforeWork((jobId, attempt) -> never.await()));
    long id = produce("tomato-sauce", 2000);
    events.awaitEvent(id, "started");

    app.close(); // the held attempt is interrupted and handed back to the database
    start(config()); // the same SQLite file; its workers may finish the task before a page listens

    awaitStatus(id, "completed");
    assertThat(stock("tomatoes")).isEqualTo(3200);
    assertThat(batches("tomato-sauce")).hasSize(1);
    JsonNode lists = http.get("/api/tasks").json();
    assertThat(ids(lists.get("history"))).containsExactly(id);
    assertThat(lists.get("history").get(0).get("outcome").asText())
        .isEqualTo("Tomato sauce 2000 g produced, cost 48000");
  }

  @Test
  void the_same_request_id_submitted_twice_is_one_task() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    start(config().beforeWork((jobId, attempt) -> release.await()));
    String body =
        "{\"preparationId\":\"hummus\",\"quantity\":100,\"userName\":\"Sari\","
            + "\"requestId\":\"dialog-1\"}";

    long first = http.post("/api/production", body).json().get("id").asLong();
    long second = http.post("/api/production", body).json().get("id").asLong();

    assertThat(second).isEqualTo(first);
    release.countDown();
    events.awaitEvent(first, "succeeded");
    assertThat(app.errand().jobs(JobQuery.all().queue(KitchenJobs.QUEUE)).jobs()).hasSize(1);
  }

  @Test
  void retries_back_off_two_then_four_seconds_by_default() {
    KitchenConfig defaults = KitchenConfig.builder(dir).build();
    Backoff backoff = Backoff.exponential(defaults.backoff());

    assertThat(defaults.maxAttempts()).isEqualTo(3);
    assertThat(backoff.delay(1)).isEqualTo(Duration.ofSeconds(2));
    assertThat(backoff.delay(2)).isEqualTo(Duration.ofSeconds(4));
    start(config().backoff(defaults.backoff()));
    assertThat(app.errand().type(KitchenJobs.PRODUCTION).orElseThrow().backoff())
        .isEqualTo(backoff);
  }

  @Test
  void the_page_and_its_assets_are_served_by_the_app_with_no_outside_sources() {
    start(config());

    TestHttp.Response page = http.get("/");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.header("Content-Type")).startsWith("text/html");
    assertThat(page.header("Content-Security-Policy")).contains("default-src 'none'");
    assertThat(page.body())
        .contains("id=\"production-dialog\"", "id=\"writeoff-dialog\"", "/assets/kitchen.js")
        .doesNotContain("http://", "https://");
    TestHttp.Response js = http.get("/assets/kitchen.js");
    assertThat(js.status()).isEqualTo(200);
    assertThat(js.body()).contains("EventSource('/api/events')").doesNotContain("https://");
    assertThat(http.get("/assets/kitchen.css").status()).isEqualTo(200);
    JsonNode catalog = http.get("/api/catalog").json();
    assertThat(catalog.get("preparations")).hasSize(3);
    assertThat(catalog.get("reasons").toString()).contains("expired");
  }

  @Test
  void the_routes_mount_on_another_server() {
    KitchenApp mounted = KitchenApp.create(config().build());
    Javalin server = Javalin.create(cfg -> mounted.routes(cfg.routes)).start("127.0.0.1", 0);
    try {
      http = new TestHttp("http://127.0.0.1:" + server.port());
      assertThat(http.get("/").body()).contains("production-dialog");

      long id = produce("hummus", 100);

      assertThat(awaitStatus(id, "completed").get("outcome").asText())
          .isEqualTo("Hummus 100 g produced, cost 5900");
    } finally {
      server.stop();
      mounted.close();
    }
  }

  @Test
  void closing_the_app_ends_the_event_streams() {
    start(config());
    assertThat(app.eventStreams()).isEqualTo(1);

    app.close();

    await().atMost(WAIT).until(() -> app.eventStreams() == 0);
    app = null;
  }
}
