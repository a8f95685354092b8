package dev.errand.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.JobState;
import io.javalin.Javalin;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server demo's part of issue 6: the five systems started side by side, one page listing them,
 * each durable app's jobs on a dashboard of its own, and every app answering its first flow with
 * its background work done.
 */
class ShowcaseTest {
  @TempDir static Path dir;
  static Showcase showcase;
  static Javalin host;
  static TestHttp hostHttp;

  @BeforeAll
  static void start() {
    showcase = Showcase.start(dir.resolve("apps"));
    host =
        Javalin.create(
                cfg -> {
                  cfg.startup.showJavalinBanner = false;
                  showcase.mount(cfg, "/dashboard");
                })
            .start("127.0.0.1", 0);
    hostHttp = new TestHttp("http://127.0.0.1:" + host.port());
  }

  @AfterAll
  static void stop() {
    if (host != null) {
      host.stop();
    }
    if (showcase != null) {
      showcase.close();
    }
  }

  private static Showcase.App app(String id) {
    return showcase.apps().stream().filter(a -> a.id().equals(id)).findFirst().orElseThrow();
  }

  private static TestHttp http(String id) {
    return new TestHttp(app(id).baseUrl());
  }

  @Test
  void one_page_lists_the_five_systems_in_seed_order_with_their_addresses() {
    TestHttp.Response page = hostHttp.get("/demo");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.header("content-type")).startsWith("text/html");
    List<String> seeds = showcase.apps().stream().map(Showcase.App::seed).toList();
    assertThat(seeds).containsExactly("000", "001", "002", "003", "004");
    int last = -1;
    for (Showcase.App a : showcase.apps()) {
      int at = page.body().indexOf("data-app=\"" + a.id() + "\"");
      assertThat(at).as(a.id()).isGreaterThan(last);
      last = at;
      assertThat(page.body()).contains(ShowcasePage.escape(a.baseUrl()));
      assertThat(page.body().contains("/examples/" + a.id() + "/dashboard")).isEqualTo(a.durable());
    }
    assertThat(page.body()).contains("href=\"/dashboard\"").doesNotContain("<script");
    assertThat(page.body()).contains("&#39;"); // the commands' quotes are escaped
  }

  @Test
  void each_durable_apps_engine_has_its_own_dashboard_and_api() {
    for (Showcase.App a : showcase.apps()) {
      TestHttp.Response jobs = hostHttp.get("/examples/" + a.id() + "/api/jobs");
      assertThat(jobs.status()).as(a.id()).isEqualTo(a.durable() ? 200 : 404);
      if (a.durable()) {
        assertThat(hostHttp.get("/examples/" + a.id() + "/dashboard").status()).isEqualTo(200);
      }
    }
  }

  @Test
  void the_bug_tracker_delivers_a_mention_and_its_dashboard_shows_the_job() {
    TestHttp tom = http("bugtracker").with("X-User-Id", "tom");
    TestHttp.Response bug =
        tom.post("/bugs", "{\"title\":\"Crash\",\"severity\":\"high\",\"assigneeId\":\"eve\"}");
    assertThat(bug.status()).isEqualTo(201);
    long id = bug.json().path("id").asLong();
    assertThat(tom.post("/bugs/" + id + "/comments", "{\"body\":\"@eve please look\"}").status())
        .isEqualTo(201);
    TestHttp eve = http("bugtracker").with("X-User-Id", "eve");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> eve.get("/inbox").body().contains("mention"));
    JsonNode jobs = hostHttp.get("/examples/bugtracker/api/jobs?state=SUCCEEDED").json();
    assertThat(jobs.path("jobs")).isNotEmpty();
  }

  @Test
  void the_kitchens_production_task_runs_as_a_job() {
    TestHttp k = http("kitchen");
    TestHttp.Response task =
        k.post(
            "/api/production",
            "{\"preparationId\":\"hummus\",\"quantity\":500,\"userName\":\"Sari\"}");
    assertThat(task.status()).isEqualTo(202);
    long jobId = task.json().path("id").asLong();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                app("kitchen")
                    .errand()
                    .job(jobId)
                    .map(j -> j.state() == JobState.SUCCEEDED)
                    .orElse(false));
    assertThat(k.get("/").status()).isEqualTo(200);
  }

  @Test
  void the_other_systems_answer_their_first_flow() {
    TestHttp.Response report =
        http("civic")
            .post(
                "/api/v1/reports",
                "{\"title\":\"Pothole\",\"description\":\"Deep one on Main St\","
                    + "\"latitude\":23.3441,\"longitude\":85.3096,\"severity\":\"medium\"}");
    assertThat(report.status()).as(report.body()).isEqualTo(201);

    TestHttp me = http("recurring").with("X-User-Id", "me");
    TestHttp.Response task =
        me.post(
            "/tasks",
            "{\"title\":\"Daily Standup\",\"dueDate\":\"2030-02-01T09:00:00Z\","
                + "\"repeatType\":\"daily\"}");
    assertThat(task.status()).as(task.body()).isEqualTo(201);

    TestHttp.Response posted =
        http("marketplace")
            .with("X-User-Id", "pia")
            .post("/tasks", "{\"title\":\"Assemble a wardrobe\",\"budget\":80}");
    assertThat(posted.status()).as(posted.body()).isEqualTo(201);
  }
}
