package dev.errand.examples.kitchen;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The core flows of 004, run on every database. */
abstract class KitchenFlows extends KitchenTestBase {

  @Test
  void production_allocates_ingredients_oldest_batch_first_records_kpi_and_recalculates_balances() {
    start(config());

    long id = produce("hummus", 2000);

    JsonNode done = events.awaitEvent(id, "succeeded");
    assertThat(done.get("message").asText()).isEqualTo("Hummus 2000 g produced, cost 119200");
    assertThat(done.get("status").asText()).isEqualTo("completed");
    assertThat(events.kinds(id)).containsSubsequence("enqueued", "started", "succeeded");
    // 1200 g of chickpeas: all of the older batch (1000 g at 30), 200 g of the newer one (at 36)
    JsonNode chickpeas = batches("chickpeas");
    assertThat(chickpeas.get(0).get("quantity").asLong()).isZero();
    assertThat(chickpeas.get(1).get("quantity").asLong()).isEqualTo(4800);
    assertThat(stock("chickpeas")).isEqualTo(4800);
    assertThat(stock("tahini")).isEqualTo(1600);
    assertThat(stock("olive-oil")).isEqualTo(1840);
    JsonNode hummus = batches("hummus");
    assertThat(hummus).hasSize(1);
    assertThat(hummus.get(0).get("quantity").asLong()).isEqualTo(2000);
    assertThat(hummus.get(0).get("unitCost").asLong()).isEqualTo(60); // 119200 / 2000, rounded
    assertThat(hummus.get(0).get("jobId").asLong()).isEqualTo(id);
    JsonNode kpi = http.get("/api/kpi").json();
    assertThat(kpi).hasSize(1);
    assertThat(kpi.get(0).get("jobId").asLong()).isEqualTo(id);
    assertThat(kpi.get(0).get("kind").asText()).isEqualTo("production");
    assertThat(kpi.get(0).get("userName").asText()).isEqualTo("Sari");
    assertThat(kpi.get(0).get("cost").asLong()).isEqualTo(119200);
    JsonNode task = task(id);
    assertThat(task.get("type").asText()).isEqualTo("production");
    assertThat(task.get("createdBy").asText()).isEqualTo("Sari");
    assertThat(task.get("department").asText()).isEqualTo("kitchen");
    assertThat(task.get("attempts").asInt()).isEqualTo(1);
    assertThat(task.get("maxAttempts").asInt()).isEqualTo(3);
    assertThat(task.get("completedAt").isNull()).isFalse();
    JsonNode lists = http.get("/api/tasks").json();
    assertThat(ids(lists.get("history"))).containsExactly(id);
    assertThat(lists.get("pending")).isEmpty();
    assertThat(lists.get("processing")).isEmpty();
    assertThat(lists.get("failed")).isEmpty();
  }

  @Test
  void a_write_off_beyond_the_stock_takes_every_batch_and_records_a_negative_batch() {
    start(config());

    long id = writeOff("product", "chickpeas", 6500, "expired", false);

    JsonNode done = events.awaitEvent(id, "succeeded");
    assertThat(done.get("message").asText())
        .isEqualTo(
            "Written off Chickpeas 6500 g (500 not in stock, recorded as a negative batch), cost"
                + " 228000");
    JsonNode chickpeas = batches("chickpeas");
    assertThat(chickpeas).hasSize(3);
    assertThat(chickpeas.get(0).get("quantity").asLong()).isZero();
    assertThat(chickpeas.get(1).get("quantity").asLong()).isZero();
    assertThat(chickpeas.get(2).get("quantity").asLong()).isEqualTo(-500);
    assertThat(chickpeas.get(2).get("source").asText()).isEqualTo("negative");
    assertThat(chickpeas.get(2).get("unitCost").asLong()).isEqualTo(36);
    assertThat(stock("chickpeas")).isEqualTo(-500);
    JsonNode kpi = http.get("/api/kpi").json();
    assertThat(kpi.get(0).get("kind").asText()).isEqualTo("product_writeoff");
    assertThat(kpi.get(0).get("affectsKpi").asBoolean()).isFalse();
    assertThat(kpi.get(0).get("cost").asLong()).isEqualTo(228000); // 30000 + 180000 + 18000
  }

  @Test
  void concurrent_tasks_on_the_same_batches_take_each_unit_once() {
    start(config().workers(4));
    List<Long> ids = new ArrayList<>();

    for (int i = 0; i < 6; i++) {
      ids.add(writeOff("product", "chickpeas", 1000, "spoiled", true));
    }

    for (long id : ids) {
      events.awaitEvent(id, "succeeded");
    }
    assertThat(stock("chickpeas")).isZero();
    assertThat(batches("chickpeas")).hasSize(2); // no negative batch: exactly the 6000 g in stock
    assertThat(http.get("/api/kpi").json()).hasSize(6);
  }
}
