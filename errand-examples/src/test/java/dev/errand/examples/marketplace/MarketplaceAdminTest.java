package dev.errand.examples.marketplace;

import static dev.errand.examples.marketplace.MarketplaceApp.ADMIN_STATS;
import static dev.errand.examples.marketplace.MarketplaceApp.OPEN_TASKS;
import static dev.errand.examples.marketplace.MarketplaceApp.taskKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.examples.TestHttp;
import org.junit.jupiter.api.Test;

/** The admin endpoints of 000: moderation rules, notifications, dashboards and the admin log. */
class MarketplaceAdminTest extends MarketplaceTestBase {

  private static boolean any(EventClient c, String event) {
    return c.events().stream().anyMatch(e -> e.name().equals(event));
  }

  private JsonNode lastLog() {
    return adminLogs().get(0);
  }

  @Test
  void a_blocked_user_may_read_but_not_change_until_unblocked() {
    start(config());
    EventClient user = connect("kim");
    call(ada, "/admin/users/kim/block", 200);
    await().atMost(WAIT).until(() -> any(user, "userUpdated"));

    assertThat(kim.get("/tasks").status()).isEqualTo(200);
    assertThat(kim.post("/tasks", "{\"title\":\"Mow\",\"budget\":5}").status()).isEqualTo(403);
    TestHttp.Response twice = ada.post("/admin/users/kim/block", "");
    assertThat(twice.status()).isEqualTo(409);
    assertThat(twice.json().get("message").asText())
        .isEqualTo("user kim is blocked; block needs a user who is active");

    JsonNode unblocked = call(ada, "/admin/users/kim/unblock", 200);

    assertThat(unblocked.get("status").asText()).isEqualTo("active");
    await()
        .atMost(WAIT)
        .until(
            () ->
                user.events().stream()
                    .filter(e -> e.name().equals("userUpdated"))
                    .map(e -> e.data().get("status").asText())
                    .toList()
                    .equals(java.util.List.of("blocked", "active")));
    await().atMost(WAIT).until(() -> adminLogs().size() == 2);
    assertThat(lastLog().get("action").asText()).isEqualTo("unblock");
    post(kim, "Mow the lawn", 5);
    assertThat(ada.post("/admin/users/kim/unblock", "").status()).isEqualTo(409);
  }

  @Test
  void a_banned_user_is_rejected_everywhere_and_a_ban_is_not_lifted_by_unblocking() {
    start(config());
    EventClient admin = connect("ada");
    warm(ada, "/admin/stats", ADMIN_STATS);

    JsonNode banned = call(ada, "/admin/users/kim/ban", 200);

    assertThat(banned.get("status").asText()).isEqualTo("banned");
    await().atMost(WAIT).until(() -> any(admin, "adminStatsRefresh"));
    awaitInvalidated(ADMIN_STATS);
    assertThat(ada.get("/admin/stats").json().get("users").get("banned").asLong()).isEqualTo(1);
    TestHttp.Response refused = kim.get("/tasks");
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.json().get("message").asText()).contains("kim is banned");
    assertThat(new EventClient(http, baseUrl(), "kim").status).isEqualTo(403);
    assertThat(ada.post("/admin/users/kim/unblock", "").status()).isEqualTo(409);
    assertThat(ada.post("/admin/users/kim/ban", "").status()).isEqualTo(409);
    assertThat(ada.post("/admin/users/ada/ban", "").status()).isEqualTo(403);
    assertThat(ada.post("/admin/users/nobody/block", "").status()).isEqualTo(404);
    assertThat(pia.post("/admin/users/wes/block", "").status()).isEqualTo(403);
    await().atMost(WAIT).until(() -> adminLogs().size() == 1);
    assertThat(lastLog().get("action").asText()).isEqualTo("ban");
    assertThat(lastLog().get("targetType").asText()).isEqualTo("user");
  }

  @Test
  void an_admin_cancels_a_task_and_poster_worker_and_admins_are_told() {
    start(config());
    EventClient poster = connect("pia");
    EventClient worker = connect("wes");
    EventClient admin = connect("ada");
    long id = post(pia, "Tile a bathroom", 300);
    call(wes, "/tasks/" + id + "/accept", 200);
    call(wes, "/tasks/" + id + "/start", 200);
    await().atMost(WAIT).until(() -> worker.about("taskStatusChanged", id).size() == 2);
    warm(ada, "/admin/stats", ADMIN_STATS);
    warm(pia, "/tasks/" + id, taskKey(id));

    TestHttp.Response r =
        ada.post("/admin/tasks/" + id + "/cancel", "{\"reason\":\"reported as spam\"}");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("status").asText()).isEqualTo("cancelled");
    await().atMost(WAIT).until(() -> poster.received("taskCancelled", id));
    await().atMost(WAIT).until(() -> worker.received("taskCancelled", id));
    assertThat(poster.about("taskCancelled", id).get(0).data().get("by").asText()).isEqualTo("ada");
    await().atMost(WAIT).until(() -> worker.about("taskUpdated", id).size() == 2);
    await().atMost(WAIT).until(() -> any(admin, "adminStatsRefresh"));
    awaitInvalidated(ADMIN_STATS, taskKey(id));
    assertThat(task(id).get("cancelReason").asText()).isEqualTo("reported as spam");
    await().atMost(WAIT).until(() -> adminLogs().size() == 1);
    assertThat(lastLog().get("action").asText()).isEqualTo("cancel");
    assertThat(lastLog().get("targetId").asText()).isEqualTo(Long.toString(id));
    assertThat(lastLog().get("details").asText()).isEqualTo("reported as spam");
    assertThat(ada.post("/admin/tasks/" + id + "/cancel", "").status()).isEqualTo(409);
  }

  @Test
  void an_admin_unassigns_a_worker_and_the_task_is_open_again() {
    start(config());
    EventClient worker = connect("wes");
    long id = post(pia, "Assemble a desk", 45);
    call(wes, "/tasks/" + id + "/accept", 200);
    await().atMost(WAIT).until(() -> worker.received("taskStatusChanged", id));
    warm(kim, "/tasks", OPEN_TASKS);

    JsonNode open = call(ada, "/admin/tasks/" + id + "/unassign", 200);

    assertThat(open.get("status").asText()).isEqualTo("open");
    assertThat(open.get("workerId").isNull()).isTrue();
    await().atMost(WAIT).until(() -> worker.received("taskUpdated", id));
    awaitInvalidated(OPEN_TASKS);
    assertThat(kim.get("/tasks").json()).extracting(t -> t.get("id").asLong()).containsExactly(id);
    await().atMost(WAIT).until(() -> adminLogs().size() == 1);
    assertThat(lastLog().get("action").asText()).isEqualTo("unassign");
    assertThat(lastLog().get("details").asText()).isEqualTo("worker wes");
    TestHttp.Response again = ada.post("/admin/tasks/" + id + "/unassign", "");
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.json().get("message").asText())
        .isEqualTo(
            "task " + id + " is open; unassign needs a task that is accepted or in_progress");
    call(kim, "/tasks/" + id + "/accept", 200);
  }

  @Test
  void a_hidden_task_leaves_the_public_lists_but_not_its_poster_or_the_admins() {
    start(config());
    EventClient other = connect("kim");
    long id = post(pia, "Suspicious offer", 999);
    await().atMost(WAIT).until(() -> other.received("newTask", id));
    warm(kim, "/tasks", OPEN_TASKS);
    warm(ada, "/admin/stats", ADMIN_STATS);

    JsonNode hidden = call(ada, "/admin/tasks/" + id + "/hide", 200);

    assertThat(hidden.get("hidden").asBoolean()).isTrue();
    awaitInvalidated(OPEN_TASKS, ADMIN_STATS, taskKey(id));
    assertThat(kim.get("/tasks").json()).isEmpty();
    assertThat(kim.get("/tasks/" + id).status()).isEqualTo(404);
    assertThat(kim.post("/tasks/" + id + "/accept", "").status()).isEqualTo(404);
    assertThat(pia.get("/tasks/" + id).status()).isEqualTo(200);
    assertThat(ada.get("/tasks/" + id).status()).isEqualTo(200);
    assertThat(ada.get("/admin/stats").json().get("hiddenTasks").asLong()).isEqualTo(1);
    await().atMost(WAIT).until(() -> adminLogs().size() == 1);
    assertThat(lastLog().get("action").asText()).isEqualTo("hide");
    assertThat(ada.post("/admin/tasks/" + id + "/hide", "").status()).isEqualTo(409);
    assertThat(kim.get("/admin/logs").status()).isEqualTo(403);
  }
}
