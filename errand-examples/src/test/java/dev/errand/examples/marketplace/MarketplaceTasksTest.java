package dev.errand.examples.marketplace;

import static dev.errand.examples.marketplace.MarketplaceApp.OPEN_TASKS;
import static dev.errand.examples.marketplace.MarketplaceApp.taskKey;
import static dev.errand.examples.marketplace.MarketplaceApp.userKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.examples.TestHttp;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Every task endpoint of 000 besides the core flow: its rules, its errors, its background work. */
class MarketplaceTasksTest extends MarketplaceTestBase {

  /** Accepts {@code id} as wes and waits until the acceptance's background work has run. */
  private void accept(long id, EventClient worker) {
    call(wes, "/tasks/" + id + "/accept", 200);
    await().atMost(WAIT).until(() -> worker.received("taskStatusChanged", id));
  }

  @Test
  void a_poster_cancels_an_accepted_task_and_its_worker_is_told() {
    start(config());
    EventClient worker = connect("wes");
    long id = post(pia, "Clean the gutters", 50);
    accept(id, worker);
    warm(wes, "/tasks/mine", userKey("wes"));

    TestHttp.Response r =
        pia.post("/tasks/" + id + "/cancel", "{\"reason\":\"found someone closer\"}");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("status").asText()).isEqualTo("cancelled");
    assertThat(r.json().get("cancelReason").asText()).isEqualTo("found someone closer");
    await().atMost(WAIT).until(() -> worker.received("taskCancelled", id));
    JsonNode told = worker.about("taskCancelled", id).get(0).data();
    assertThat(told.get("by").asText()).isEqualTo("pia");
    assertThat(told.get("reason").asText()).isEqualTo("found someone closer");
    assertThat(told.get("reopened").asBoolean()).isFalse();
    await().atMost(WAIT).until(() -> worker.about("taskRemoved", id).size() == 2);
    assertThat(worker.namesAbout(id)).endsWith("taskCancelled", "taskStatusChanged", "taskRemoved");
    awaitInvalidated(userKey("wes"), taskKey(id));
    assertThat(wes.get("/tasks/mine").json().get(0).get("status").asText()).isEqualTo("cancelled");
  }

  @Test
  void a_worker_who_gives_tasks_back_reaches_the_cancel_limit_until_an_admin_resets_it() {
    start(config().cancelLimit(1));
    EventClient poster = connect("pia");
    EventClient worker = connect("wes");
    EventClient admin = connect("ada");
    long id = post(pia, "Hang shelves", 35);
    accept(id, worker);
    warm(ada, "/admin/users", MarketplaceApp.ADMIN_USERS);

    JsonNode back = call(wes, "/tasks/" + id + "/cancel", 200);

    assertThat(back.get("status").asText()).isEqualTo("open");
    assertThat(back.get("workerId").isNull()).isTrue();
    await().atMost(WAIT).until(() -> poster.received("taskCancelled", id));
    JsonNode told = poster.about("taskCancelled", id).get(0).data();
    assertThat(told.get("by").asText()).isEqualTo("wes");
    assertThat(told.get("reopened").asBoolean()).isTrue();
    await()
        .atMost(WAIT)
        .until(
            () ->
                worker.about("taskStatusChanged", id).stream()
                    .anyMatch(e -> e.data().get("to").asText().equals("open")));
    awaitInvalidated(MarketplaceApp.ADMIN_USERS);
    assertThat(ada.get("/admin/users").json())
        .filteredOn(u -> u.get("id").asText().equals("wes"))
        .singleElement()
        .satisfies(u -> assertThat(u.get("cancellations").asInt()).isEqualTo(1));

    TestHttp.Response refused = wes.post("/tasks/" + id + "/accept", "");
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.json().get("message").asText())
        .isEqualTo(
            "wes has given back 1 accepted tasks, the limit of 1; ask an admin to reset your"
                + " cancellations");

    warm(ada, "/admin/users", MarketplaceApp.ADMIN_USERS);
    assertThat(call(ada, "/admin/users/wes/reset-cancellations", 200).get("cancellations").asInt())
        .isZero();
    awaitInvalidated(MarketplaceApp.ADMIN_USERS);
    await()
        .atMost(WAIT)
        .until(() -> admin.events().stream().anyMatch(e -> e.name().equals("adminStatsRefresh")));
    await()
        .atMost(WAIT)
        .until(
            () ->
                adminLogs().stream()
                    .anyMatch(l -> l.get("action").asText().equals("reset-cancellations")));
    assertThat(call(wes, "/tasks/" + id + "/accept", 200).get("workerId").asText())
        .isEqualTo("wes");
  }

  @Test
  void editing_an_open_task_tells_its_parties_and_alerts_workers_again_only_when_asked() {
    start(config());
    EventClient poster = connect("pia");
    EventClient worker = connect("wes");
    long id = post(pia, "Fix a bike", 20);
    await().atMost(WAIT).until(() -> worker.received("newTask", id));

    TestHttp.Response edited = pia.put("/tasks/" + id, "{\"budget\":30}");

    assertThat(edited.status()).isEqualTo(200);
    assertThat(edited.json().get("budget").asLong()).isEqualTo(30);
    assertThat(edited.json().get("status").asText()).isEqualTo("open");
    await().atMost(WAIT).until(() -> poster.received("taskUpdated", id));
    long marker = post(kim, "A later task", 5); // its broadcast reaches wes after any of the edit's
    await().atMost(WAIT).until(() -> worker.received("newTask", marker));
    assertThat(worker.about("newTask", id)).as("no re-alert unless asked").hasSize(1);

    clock.advance(Duration.ofMinutes(5));
    assertThat(pia.put("/tasks/" + id, "{\"realert\":true}").status()).isEqualTo(200);

    await().atMost(WAIT).until(() -> worker.about("newTask", id).size() == 2);
    assertThat(worker.about("newTask", id).get(1).data().get("budget").asLong()).isEqualTo(30);
    await()
        .atMost(WAIT)
        .until(() -> task(id).get("lastAlertedAt").asText().equals("2024-03-01T10:05:00Z"));
  }

  @Test
  void editing_an_accepted_task_releases_its_worker_and_reopens_it() {
    start(config());
    EventClient worker = connect("wes");
    long id = post(pia, "Walk a dog", 15);
    accept(id, worker);

    warm(wes, "/tasks/mine", userKey("wes"));

    JsonNode edited = pia.put("/tasks/" + id, "{\"title\":\"Walk two dogs\"}").json();

    assertThat(edited.get("status").asText()).isEqualTo("open");
    assertThat(edited.get("workerId").isNull()).isTrue();
    assertThat(edited.get("title").asText()).isEqualTo("Walk two dogs");
    await().atMost(WAIT).until(() -> worker.about("taskStatusChanged", id).size() == 2);
    assertThat(worker.about("taskStatusChanged", id).get(1).data().get("to").asText())
        .isEqualTo("open");
    assertThat(worker.about("newTask", id)).hasSize(2);
    assertThat(worker.received("taskUpdated", id)).isTrue();
    awaitInvalidated(userKey("wes"), taskKey(id), OPEN_TASKS);
    assertThat(wes.get("/tasks/mine").json()).as("wes no longer works on it").isEmpty();

    call(kim, "/tasks/" + id + "/accept", 200);
    call(kim, "/tasks/" + id + "/start", 200);
    TestHttp.Response late = pia.put("/tasks/" + id, "{\"budget\":99}");
    assertThat(late.status()).isEqualTo(409);
    assertThat(late.json().get("message").asText())
        .isEqualTo("task " + id + " is in_progress; edit needs a task that is accepted or open");
  }

  @Test
  void deleting_a_task_removes_it_from_every_browser_and_from_the_api() {
    start(config());
    EventClient other = connect("kim");
    long id = post(pia, "Sort the garage", 40);
    await().atMost(WAIT).until(() -> other.received("newTask", id));
    warm(kim, "/tasks", OPEN_TASKS);
    warm(kim, "/tasks/" + id, taskKey(id));

    TestHttp.Response r = pia.delete("/tasks/" + id);

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("deleted").asBoolean()).isTrue();
    await().atMost(WAIT).until(() -> other.received("taskRemoved", id));
    awaitInvalidated(OPEN_TASKS, taskKey(id));
    assertThat(kim.get("/tasks").json()).isEmpty();
    assertThat(kim.get("/tasks/" + id).status()).isEqualTo(404);
    assertThat(pia.delete("/tasks/" + id).status()).isEqualTo(404);

    long busy = post(pia, "Busy", 10);
    call(wes, "/tasks/" + busy + "/accept", 200);
    TestHttp.Response refused = pia.delete("/tasks/" + busy);
    assertThat(refused.status()).isEqualTo(409);
    assertThat(refused.json().get("message").asText())
        .isEqualTo("task " + busy + " is accepted; delete needs a task that is cancelled or open");
    assertThat(wes.delete("/tasks/" + busy).status()).isEqualTo(403);
  }

  @Test
  void duplicating_a_task_posts_a_copy_that_is_broadcast_and_alerted() {
    start(config());
    EventClient worker = connect("wes");
    long id = post(pia, "Water the plants", 10);
    call(pia, "/tasks/" + id + "/cancel", 200);

    await().atMost(WAIT).until(() -> worker.received("taskRemoved", id));
    warm(kim, "/tasks", OPEN_TASKS);

    JsonNode copy = call(pia, "/tasks/" + id + "/duplicate", 201);

    long copyId = copy.get("id").asLong();
    assertThat(copyId).isNotEqualTo(id);
    assertThat(copy.get("duplicatedFrom").asLong()).isEqualTo(id);
    assertThat(copy.get("status").asText()).isEqualTo("open");
    assertThat(copy.get("title").asText()).isEqualTo("Water the plants");
    await().atMost(WAIT).until(() -> worker.received("newTask", copyId));
    await().atMost(WAIT).until(() -> !task(copyId).get("lastAlertedAt").isNull());
    awaitInvalidated(OPEN_TASKS);
    assertThat(kim.get("/tasks").json())
        .extracting(t -> t.get("id").asLong())
        .containsExactly(copyId);
    assertThat(kim.post("/tasks/" + id + "/duplicate", "").status()).isEqualTo(403);
  }

  @Test
  void bulk_cancel_cancels_the_posters_own_tasks_and_reports_each_one_it_skipped() {
    start(config());
    EventClient worker = connect("wes");
    long a = post(pia, "A", 10);
    long b = post(pia, "B", 10);
    long c = post(kim, "C", 10);
    accept(b, worker);
    warm(pia, "/tasks/" + a, taskKey(a));
    warm(wes, "/tasks/mine", userKey("wes"));

    TestHttp.Response r =
        pia.post("/tasks/bulk-cancel", "{\"taskIds\":[" + a + "," + b + "," + c + ",999]}");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("cancelled")).extracting(JsonNode::asLong).containsExactly(a, b);
    assertThat(r.json().get("skipped"))
        .extracting(s -> s.get("taskId").asLong() + " " + s.get("error").asText())
        .containsExactly(c + " Forbidden", "999 NotFound");
    await().atMost(WAIT).until(() -> worker.received("taskCancelled", b));
    await().atMost(WAIT).until(() -> worker.about("taskRemoved", a).size() == 1);
    await().atMost(WAIT).until(() -> worker.about("taskRemoved", b).size() == 2);
    assertThat(worker.about("taskStatusChanged", b))
        .extracting(e -> e.data().get("to").asText())
        .containsExactly("accepted", "cancelled");
    awaitInvalidated(taskKey(a), userKey("wes"));
    assertThat(task(a).get("status").asText()).isEqualTo("cancelled");
    assertThat(kim.get("/tasks/" + c).json().get("status").asText()).isEqualTo("open");

    for (String bad : new String[] {"{\"taskIds\":[]}", "{}", "{\"taskIds\":[0]}", "[1]"}) {
      TestHttp.Response refused = pia.post("/tasks/bulk-cancel", bad);
      assertThat(refused.status()).as(bad).isEqualTo(400);
      assertThat(refused.json().get("error").asText()).isEqualTo("BadRequest");
    }
    String many =
        java.util.stream.LongStream.rangeClosed(1, 101)
            .mapToObj(Long::toString)
            .reduce((x, y) -> x + "," + y)
            .orElseThrow();
    assertThat(pia.post("/tasks/bulk-cancel", "{\"taskIds\":[" + many + "]}").status())
        .isEqualTo(400);
  }

  @Test
  void bulk_delete_deletes_what_may_be_deleted_and_tells_every_browser() {
    start(config());
    EventClient other = connect("kim");
    long a = post(pia, "A", 10);
    long b = post(pia, "B", 10);
    long c = post(pia, "C", 10);
    call(pia, "/tasks/" + b + "/cancel", 200);
    call(wes, "/tasks/" + c + "/accept", 200);
    await().atMost(WAIT).until(() -> other.received("taskRemoved", b));
    await().atMost(WAIT).until(() -> other.received("taskRemoved", c));
    warm(pia, "/tasks/mine", userKey("pia"));

    TestHttp.Response r =
        pia.post("/tasks/bulk-delete", "{\"taskIds\":[" + a + "," + b + "," + c + "]}");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("deleted")).extracting(JsonNode::asLong).containsExactly(a, b);
    assertThat(r.json().get("skipped").get(0).get("error").asText()).isEqualTo("Conflict");
    await().atMost(WAIT).until(() -> other.about("taskRemoved", a).size() == 1);
    await().atMost(WAIT).until(() -> other.about("taskRemoved", b).size() == 2);
    awaitInvalidated(userKey("pia"));
    assertThat(pia.get("/tasks/mine").json())
        .extracting(t -> t.get("id").asLong())
        .containsExactly(c);
    assertThat(pia.get("/tasks/" + a).status()).isEqualTo(404);
    assertThat(pia.get("/tasks/" + c).json().get("status").asText()).isEqualTo("accepted");
  }

  @Test
  void an_illegal_transition_is_a_409_that_names_the_current_state() {
    start(config());
    long id = post(pia, "Paint a fence", 70);

    assertThat(wes.post("/tasks/" + id + "/start", "").json().get("message").asText())
        .isEqualTo(
            "only the worker assigned to task " + id + " may start it; nobody has accepted it");
    call(wes, "/tasks/" + id + "/accept", 200);
    assertConflict(
        kim, id, "accept", "task " + id + " is accepted; accept needs a task that is open");
    assertConflict(
        wes,
        id,
        "complete",
        "task " + id + " is accepted; mark complete needs a task that is in_progress");
    assertConflict(
        pia,
        id,
        "confirm",
        "task " + id + " is accepted; confirm needs a task that is awaiting_confirmation");
    call(wes, "/tasks/" + id + "/start", 200);
    assertConflict(
        wes, id, "start", "task " + id + " is in_progress; start needs a task that is accepted");
    call(wes, "/tasks/" + id + "/complete", 200);
    assertConflict(
        pia,
        id,
        "cancel",
        "task "
            + id
            + " is awaiting_confirmation; cancel needs a task that is accepted or in_progress or open");
    call(pia, "/tasks/" + id + "/confirm", 200);
    assertConflict(
        pia,
        id,
        "confirm",
        "task " + id + " is completed; confirm needs a task that is awaiting_confirmation");
  }

  private void assertConflict(TestHttp as, long id, String action, String message) {
    assertError(as.post("/tasks/" + id + "/" + action, ""), 409, "Conflict", message);
  }

  @Test
  void posters_workers_and_strangers_may_do_only_their_part() {
    start(config());
    long id = post(pia, "Bake a cake", 25);

    assertThat(anonymous.get("/tasks").status()).isEqualTo(401);
    assertThat(anonymous.get("/tasks").json().get("message").asText()).contains("X-User-Id");
    assertThat(anonymous.with("X-User-Id", "zed").get("/tasks").status()).isEqualTo(401);
    assertForbidden(
        pia.post("/tasks/" + id + "/accept", ""), "a poster cannot accept their own task");
    assertForbidden(kim.put("/tasks/" + id, "{\"budget\":1}"), "only the poster of task " + id);
    assertForbidden(kim.post("/tasks/" + id + "/confirm", ""), "only the poster of task " + id);
    assertForbidden(
        kim.post("/tasks/" + id + "/cancel", ""), "admins use POST /admin/tasks/" + id + "/cancel");
    call(wes, "/tasks/" + id + "/accept", 200);
    assertForbidden(kim.post("/tasks/" + id + "/start", ""), "only the worker assigned");
    assertForbidden(pia.post("/tasks/" + id + "/start", ""), "only the worker assigned");
    assertForbidden(kim.get("/admin/stats"), "kim is not an admin");
    assertForbidden(kim.post("/admin/tasks/" + id + "/hide", ""), "kim is not an admin");
    assertThat(new EventClient(http, baseUrl(), "zed").status).isEqualTo(401);
  }

  private static void assertForbidden(TestHttp.Response r, String message) {
    assertError(r, 403, "Forbidden", message);
  }

  @Test
  void bad_input_is_a_400_that_says_what_to_fix() {
    start(config());
    long id = post(pia, "Iron shirts", 12);

    assertBadRequest(pia.post("/tasks", "{}"), "title is required, 1-120 characters");
    assertBadRequest(
        pia.post("/tasks", "{\"title\":\"x\"}"),
        "budget is required, a whole amount from 1 to 1000000, got null");
    assertBadRequest(
        pia.post("/tasks", "{\"title\":\"x\",\"budget\":0}"),
        "budget is required, a whole amount from 1 to 1000000, got 0");
    assertBadRequest(
        pia.post("/tasks", "{\"title\":\"" + "x".repeat(121) + "\",\"budget\":5}"),
        "title is required, 1-120 characters");
    assertBadRequest(
        pia.post("/tasks", "{\"title\":\"x\",\"budget\":5,\"colour\":\"red\"}"), "colour");
    assertBadRequest(pia.post("/tasks", "not json"), "the request body is not valid");
    assertBadRequest(pia.put("/tasks/" + id, "{}"), "nothing to change");
    assertBadRequest(
        pia.post("/tasks/" + id + "/cancel", "{\"reason\":\"" + "r".repeat(501) + "\"}"),
        "reason is at most 500 characters");
    assertThat(pia.get("/tasks/abc").status()).isEqualTo(404);
    assertThat(pia.get("/tasks/abc").json().get("message").asText())
        .contains("task ids are numbers");
    assertThat(pia.post("/tasks/12345/accept", "").status()).isEqualTo(404);
    assertThat(pia.get("/tasks").json()).hasSize(1);
  }

  private static void assertBadRequest(TestHttp.Response r, String message) {
    assertError(r, 400, "BadRequest", message);
  }
}
