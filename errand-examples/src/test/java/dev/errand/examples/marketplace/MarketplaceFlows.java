package dev.errand.examples.marketplace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.examples.TestHttp;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The core flows of 000, run on every database. */
abstract class MarketplaceFlows extends MarketplaceTestBase {

  @Test
  void a_posted_task_is_broadcast_its_last_alerted_at_is_set_and_the_open_list_refreshed() {
    start(config());
    EventClient wes = connect("wes");
    warm(kim, "/tasks", MarketplaceApp.OPEN_TASKS);
    warm(pia, "/tasks/mine", MarketplaceApp.userKey("pia"));
    clock.advance(Duration.ofMinutes(1));

    TestHttp.Response r =
        pia.post(
            "/tasks",
            "{\"title\":\"Assemble a wardrobe\",\"description\":\"IKEA PAX\",\"budget\":80}");

    assertThat(r.status()).isEqualTo(201);
    long id = r.json().get("id").asLong();
    assertThat(r.json().get("status").asText()).isEqualTo("open");
    assertThat(r.json().get("lastAlertedAt").isNull())
        .as("the response was made before the background work")
        .isTrue();
    await().atMost(WAIT).until(() -> wes.received("newTask", id));
    assertThat(wes.about("newTask", id).get(0).data().get("title").asText())
        .isEqualTo("Assemble a wardrobe");
    awaitInvalidated(MarketplaceApp.OPEN_TASKS, MarketplaceApp.userKey("pia"));
    TestHttp.Response list = kim.get("/tasks");
    assertThat(list.header("X-Cache")).isEqualTo("miss");
    assertThat(list.json()).extracting(t -> t.get("id").asLong()).containsExactly(id);
    assertThat(task(id).get("lastAlertedAt").asText()).isEqualTo("2024-03-01T10:01:00Z");
  }

  @Test
  void a_task_is_accepted_started_completed_and_confirmed_with_each_party_told() {
    start(config());
    EventClient poster = connect("pia");
    EventClient worker = connect("wes");
    EventClient other = connect("kim");
    long id = post(pia, "Walk the dog", 15);
    await().atMost(WAIT).until(() -> other.received("newTask", id));
    warm(wes, "/tasks/" + id, MarketplaceApp.taskKey(id));
    warm(wes, "/tasks/mine", MarketplaceApp.userKey("wes"));

    JsonNode accepted = call(wes, "/tasks/" + id + "/accept", 200);

    assertThat(accepted.get("status").asText()).isEqualTo("accepted");
    assertThat(accepted.get("workerId").asText()).isEqualTo("wes");
    await().atMost(WAIT).until(() -> poster.received("taskAccepted", id));
    await().atMost(WAIT).until(() -> other.received("taskRemoved", id));
    await().atMost(WAIT).until(() -> worker.received("taskStatusChanged", id));
    assertThat(worker.about("taskStatusChanged", id).get(0).data().get("to").asText())
        .isEqualTo("accepted");
    awaitInvalidated(MarketplaceApp.taskKey(id), MarketplaceApp.userKey("wes"));
    assertThat(wes.get("/tasks/mine").json())
        .extracting(t -> t.get("status").asText())
        .containsExactly("accepted");

    warm(pia, "/tasks/mine", MarketplaceApp.userKey("pia"));
    assertThat(call(wes, "/tasks/" + id + "/start", 200).get("status").asText())
        .isEqualTo("in_progress");
    awaitInvalidated(MarketplaceApp.userKey("pia"));
    assertThat(pia.get("/tasks/mine").json().get(0).get("status").asText())
        .isEqualTo("in_progress");
    // each step's background work has run before the next step, so the events come in step order
    await().atMost(WAIT).until(() -> poster.about("taskUpdated", id).size() == 1);
    assertThat(call(wes, "/tasks/" + id + "/complete", 200).get("status").asText())
        .isEqualTo("awaiting_confirmation");
    await().atMost(WAIT).until(() -> poster.about("taskUpdated", id).size() == 2);
    warm(pia, "/tasks/" + id, MarketplaceApp.taskKey(id));

    assertThat(call(pia, "/tasks/" + id + "/confirm", 200).get("status").asText())
        .isEqualTo("completed");

    await().atMost(WAIT).until(() -> worker.received("taskCompleted", id));
    await().atMost(WAIT).until(() -> poster.about("taskUpdated", id).size() == 3);
    assertThat(poster.namesAbout(id))
        .containsExactly(
            "newTask",
            "taskAccepted",
            "taskRemoved",
            "taskStatusChanged",
            "taskStatusChanged",
            "taskUpdated",
            "taskStatusChanged",
            "taskUpdated",
            "taskStatusChanged",
            "taskUpdated");
    assertThat(worker.about("taskStatusChanged", id))
        .extracting(e -> e.data().get("to").asText())
        .containsExactly("accepted", "in_progress", "awaiting_confirmation", "completed");
    assertThat(other.namesAbout(id)).containsExactly("newTask", "taskRemoved");
    awaitInvalidated(MarketplaceApp.taskKey(id));
    assertThat(task(id).get("status").asText()).isEqualTo("completed");
  }

  @Test
  void an_admin_blocks_a_user_who_is_told_and_the_block_is_logged() {
    start(config());
    EventClient admin = connect("ada");
    EventClient user = connect("kim");
    warm(ada, "/admin/stats", MarketplaceApp.ADMIN_STATS);

    JsonNode blocked = call(ada, "/admin/users/kim/block", 200);

    assertThat(blocked.get("status").asText()).isEqualTo("blocked");
    await()
        .atMost(WAIT)
        .until(() -> user.events().stream().anyMatch(e -> e.name().equals("userUpdated")));
    await()
        .atMost(WAIT)
        .until(() -> admin.events().stream().anyMatch(e -> e.name().equals("adminStatsRefresh")));
    awaitInvalidated(MarketplaceApp.ADMIN_STATS);
    await().atMost(WAIT).until(() -> adminLogs().size() == 1);
    JsonNode row = adminLogs().get(0);
    assertThat(row.get("adminId").asText()).isEqualTo("ada");
    assertThat(row.get("action").asText()).isEqualTo("block");
    assertThat(row.get("targetId").asText()).isEqualTo("kim");
    assertThat(ada.get("/admin/stats").json().get("users").get("blocked").asLong()).isEqualTo(1);
    TestHttp.Response refused = kim.post("/tasks", "{\"title\":\"Mow\",\"budget\":5}");
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.json().get("message").asText()).contains("blocked", "ask an admin");
  }
}
