package dev.errand.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.errand.Enqueue;
import dev.errand.Job;
import dev.errand.JobState;
import dev.errand.JobType;
import dev.errand.PermanentFailure;
import dev.errand.RecurringJob;
import dev.errand.Schedule;
import dev.errand.jdbc.SqliteJobStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The dashboard end to end: headless Chromium against a real engine on SQLite, over a real socket.
 * Every wait is on a DOM condition; the live updates come over the event stream (the dashboard does
 * not poll job state). Screenshots land in {@code target/screenshots/}.
 */
class DashboardBrowserTest {
  record Note(String message) {}

  static final String SCRIPT = "<script>window.errandPwned = 1</script>";
  static final String IMG = "<img src=x onerror=window.errandPwned=2>";

  @TempDir Path dir;
  @TempDir Path profile;
  WebFixture f;
  Browser b;
  JobType<Note> echoError;

  @BeforeEach
  void start() {
    Browser.assumeInstalled();
    f = new WebFixture(dir, w -> {}, e -> e.heartbeatInterval(Duration.ofMillis(200)));
    // fails permanently with its payload as the error message: errors must be shown as text too
    echoError =
        f.errand.register(
            JobType.of(
                "echo-error",
                Note.class,
                (ctx, n) -> {
                  throw new PermanentFailure(n.message());
                }));
  }

  @AfterEach
  void stop() {
    Browser.closeWith(b, f);
  }

  private void someHistory() {
    for (int i = 0; i < 6; i++) {
      long id =
          f.enqueue(
              "{\"type\":\"send-email\",\"payload\":{\"to\":\"user"
                  + i
                  + "@example.com\","
                  + "\"subject\":\"Welcome\",\"password\":\"hunter2\"},\"tags\":[\"welcome\"]}");
      f.awaitState(id, JobState.SUCCEEDED);
    }
    f.awaitState(
        f.enqueue("{\"type\":\"fail\",\"payload\":{},\"tags\":[\"billing\"]}"), JobState.FAILED);
    f.awaitState(
        f.enqueue("{\"type\":\"fail\",\"payload\":{},\"queue\":\"other\"}"), JobState.FAILED);
  }

  private long failedFlakyJob() {
    long id =
        f.enqueue("{\"type\":\"flaky\",\"payload\":{},\"maxAttempts\":1,\"tags\":[\"import\"]}");
    f.awaitState(id, JobState.FAILED);
    return id;
  }

  private void open(String hash) {
    b.driver.get(f.base() + "/dashboard" + hash);
    b.await(
        "the live stream is connected",
        d -> "live".equals(d.findElement(By.id("live")).getAttribute("data-state")));
  }

  /** The number an overview card shows, or -1 while it is not drawn. */
  private long card(String label) {
    for (WebElement c : b.driver.findElements(By.cssSelector(".cards .card"))) {
      if (c.findElement(By.className("label")).getText().equals(label)) {
        return Long.parseLong(c.findElement(By.className("value")).getText().replace(",", ""));
      }
    }
    return -1;
  }

  /** True when nothing sticks out sideways: the page needs no horizontal scrolling. */
  private boolean noSideways() {
    return (Boolean) b.js("return document.documentElement.scrollWidth <= window.innerWidth;");
  }

  /** A duration as the dashboard writes it: "840 ms", "1.25 s", "2 min 5 s", "1.5 h". */
  static final String DURATION = "\\d+ ms|\\d+\\.\\d+ s|\\d+ min \\d+ s|\\d+\\.\\d h";

  /**
   * The Took cell of attempt {@code n} in the detail view's attempts table, read in one script
   * call: the table is redrawn as events arrive, so an element found first and read after could be
   * gone.
   */
  private String took(int n) {
    return (String)
        b.js(
            "var e = document.querySelector(arguments[0]); return e ? e.innerText.trim() : '';",
            "#attempts tr[data-attempt='" + n + "'] td.took");
  }

  /**
   * Runs {@code read} again when the element it used was redrawn meanwhile (the lists are redrawn
   * as events arrive), up to ten times.
   */
  private static <T> T fresh(java.util.function.Supplier<T> read) {
    for (int i = 1; ; i++) {
      try {
        return read.get();
      } catch (org.openqa.selenium.StaleElementReferenceException e) {
        if (i == 10) {
          throw e;
        }
      }
    }
  }

  private List<WebElement> rows() {
    return b.driver.findElements(By.cssSelector("#job-list tr[data-job-id]"));
  }

  @Test
  void a_failed_job_is_found_by_filter_retried_and_seen_succeeding_live() {
    someHistory();
    long flaky = failedFlakyJob();
    b = Browser.start(profile, 1366, 860);
    open("");
    b.awaitText(By.cssSelector(".cards a.card.bad"), "3");
    b.await(
        "both charts are drawn",
        d -> d.findElements(By.cssSelector(".chart .uplot canvas")).size() == 2);
    b.await(
        "the throughput chart counts every finished job (6 sent, 3 failed, maintenance too)",
        d -> {
          String n =
              d.findElement(By.cssSelector("[data-chart='throughput']"))
                  .getAttribute("data-finished");
          return n != null && Integer.parseInt(n) >= 9;
        });
    b.awaitText(By.cssSelector("table"), "send-email");
    assertThat(b.driver.findElement(By.id("failed-count")).getText()).isEqualTo("3");
    b.screenshot("01-overview-laptop");

    long started = System.nanoTime();
    b.driver.findElement(By.cssSelector("a[data-view='failed']")).click();
    b.await("three failed jobs listed", d -> rows().size() == 3);
    WebElement type = b.driver.findElement(By.id("f-type"));
    type.sendKeys("flaky");
    b.driver.findElement(By.id("apply-filters")).click();
    b.await(
        "only the flaky job is listed",
        d ->
            rows().size() == 1
                && rows().get(0).getAttribute("data-job-id").equals(String.valueOf(flaky)));
    assertThat(b.driver.getCurrentUrl()).contains("state=FAILED").contains("type=flaky");
    assertThat(fresh(() -> rows().get(0).getText()))
        .contains("flaky")
        .contains("first attempt fails");
    b.screenshot("02-failed-jobs-filtered");

    fresh(
        () -> {
          rows().get(0).click();
          return null;
        });
    b.awaitText(By.id("attempts"), "first attempt fails");
    assertThat(b.driver.findElement(By.id("last-error")).getText()).contains("first attempt fails");
    assertThat(b.driver.findElement(By.cssSelector(".page-head .badge")).getText())
        .isEqualTo("FAILED");
    b.await("the failed attempt shows how long it took", d -> took(1).matches(DURATION));
    b.screenshot("03-failed-job-detail");

    b.driver.findElement(By.id("retry")).click();
    b.awaitText(By.cssSelector(".toast.ok"), "Job #" + flaky + " (flaky) succeeded");
    b.await(
        "the detail shows SUCCEEDED",
        d -> d.findElement(By.cssSelector(".page-head .badge")).getText().equals("SUCCEEDED"));
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    b.awaitText(By.id("attempts"), "succeeded");
    b.awaitText(By.id("timeline"), "Succeeded");
    b.await(
        "both attempts show how long they took",
        d -> took(1).matches(DURATION) && took(2).matches(DURATION));
    b.screenshot("04-retried-job-succeeded-live");

    Job job = f.errand.job(flaky).orElseThrow();
    assertThat(job.state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(job.attempt()).isEqualTo(2);
    assertThat(took)
        .as("find, filter, open and retry a failed job")
        .isLessThan(Duration.ofMinutes(1));
    // the header's failed count follows the event stream too
    b.await(
        "failed count drops to 2", d -> d.findElement(By.id("failed-count")).getText().equals("2"));
  }

  @Test
  void an_attempt_recorded_before_errand_kept_its_start_shows_an_unknown_duration()
      throws Exception {
    long id = failedFlakyJob();
    // the error history as an Errand that did not record each attempt's start wrote it
    try (SqliteJobStore other = SqliteJobStore.file(dir.resolve("web.db"))) {
      other.open();
      try (Connection c = other.dataSource().getConnection();
          PreparedStatement ps =
              c.prepareStatement("UPDATE errand_jobs SET errors = ? WHERE id = ?")) {
        ps.setString(
            1,
            "[{\"attempt\":1,\"at\":\"2026-01-02T03:04:05.123456Z\",\"kind\":\"error\","
                + "\"message\":\"failed before the upgrade\",\"stackTrace\":\"\"}]");
        ps.setLong(2, id);
        assertThat(ps.executeUpdate()).isEqualTo(1);
        if (!c.getAutoCommit()) {
          c.commit();
        }
      }
    }
    b = Browser.start(profile, 1366, 860);
    open("#/jobs/" + id);
    b.awaitText(By.id("attempts"), "failed before the upgrade");
    assertThat(took(1)).isEqualTo("—");
    assertThat(
            (String)
                b.js(
                    "return document.querySelector(arguments[0]).title;",
                    "#attempts tr[data-attempt='1'] td.took"))
        .contains("unknown");

    f.errand.retry(id);
    f.awaitState(id, JobState.SUCCEEDED);
    b.awaitText(By.id("attempts"), "succeeded");
    b.await("the new attempt shows how long it took", d -> took(2).matches(DURATION));
    assertThat(took(1)).isEqualTo("—");
    b.js("document.getElementById('attempts').scrollIntoView()");
    b.screenshot("16-attempts-with-durations");
  }

  @Test
  void markup_in_a_payload_or_an_error_is_shown_as_text_and_never_runs() {
    long email =
        f.enqueue(
            "{\"type\":\"send-email\",\"payload\":{\"to\":\""
                + IMG
                + "\",\"subject\":\""
                + SCRIPT
                + "\",\"password\":\"hunter2\"}}");
    f.awaitState(email, JobState.SUCCEEDED);
    long failed = f.errand.enqueue(echoError, new Note("boom " + SCRIPT + " " + IMG)).id();
    f.awaitState(failed, JobState.FAILED);
    b = Browser.start(profile, 1366, 860);

    open("#/jobs/" + email);
    WebElement payload = b.awaitText(By.id("payload"), SCRIPT);
    assertThat(payload.getText()).contains(IMG).contains("[redacted]").doesNotContain("hunter2");
    assertThat(b.driver.getPageSource()).doesNotContain("hunter2");
    b.screenshot("05-script-payload-as-text");

    open("#/jobs?state=FAILED");
    b.await("the failed job is listed", d -> rows().size() == 1);
    assertThat(fresh(() -> rows().get(0).getText())).contains("boom " + SCRIPT);
    fresh(
        () -> {
          rows().get(0).click();
          return null;
        });
    b.awaitText(By.id("last-error"), "boom " + SCRIPT + " " + IMG);
    b.awaitText(By.id("attempts"), SCRIPT);

    assertThat(b.js("return window.errandPwned === undefined;"))
        .as("no injected script ran")
        .isEqualTo(true);
    assertThat(b.js("return document.querySelectorAll('img[src=\"x\"]').length;")).isEqualTo(0L);
    assertThat(
            b.js("return Array.from(document.scripts).map(s => s.getAttribute('src')).join(' ');"))
        .as("only the dashboard's own scripts")
        .isEqualTo("/dashboard/assets/uPlot.iife.min.js /dashboard/assets/app.js");
  }

  @Test
  void on_a_phone_the_failed_jobs_read_as_cards_and_a_retry_works() {
    someHistory();
    long flaky = failedFlakyJob();
    b = Browser.start(profile, 390, 844);
    open("");
    b.await(
        "both charts are drawn",
        d -> d.findElements(By.cssSelector(".chart .uplot canvas")).size() == 2);
    b.screenshot("06-overview-phone");
    assertThat(noSideways()).as("overview fits the phone's width").isTrue();

    b.driver.findElement(By.cssSelector("a[data-view='failed']")).click();
    b.await("three failed jobs listed", d -> rows().size() == 3);
    b.screenshot("07-failed-jobs-phone");
    assertThat(noSideways()).as("failed list fits the phone's width").isTrue();
    assertThat(b.js("return getComputedStyle(document.querySelector('#job-list thead')).display;"))
        .as("table header hidden: rows are cards")
        .isEqualTo("none");

    b.driver.findElement(By.cssSelector("#job-list tr[data-job-id='" + flaky + "'] a")).click();
    b.awaitVisible("the retry button", By.id("retry")).click();
    b.awaitText(By.cssSelector(".toast.ok"), "succeeded");
    b.await(
        "the detail shows SUCCEEDED",
        d -> d.findElement(By.cssSelector(".page-head .badge")).getText().equals("SUCCEEDED"));
    b.screenshot("08-job-detail-phone");
    assertThat(noSideways()).as("job detail fits the phone's width").isTrue();
  }

  @Test
  void failed_jobs_are_retried_in_bulk_and_queues_paused_from_the_dashboard() {
    for (int i = 0; i < 3; i++) {
      failedFlakyJob();
    }
    f.awaitState(f.enqueue("{\"type\":\"fail\",\"payload\":{}}"), JobState.FAILED);
    b = Browser.start(profile, 1366, 860);
    open("#/jobs?state=FAILED&type=flaky");
    b.await("three flaky jobs listed", d -> rows().size() == 3);
    b.driver.findElement(By.id("retry-all")).click();
    b.awaitVisible("the confirmation", By.id("confirm-ok")).click();
    b.awaitText(By.cssSelector(".toast.ok"), "Retried 3 of 3 matching jobs");
    b.await(
        "no failed flaky job left",
        d -> !d.findElements(By.cssSelector("#job-list .empty")).isEmpty());
    assertThat(f.errand.jobs(dev.errand.JobQuery.all().states(JobState.FAILED)).jobs())
        .as("the other type's failed job is untouched")
        .hasSize(1);

    open("#/queues");
    WebElement pause =
        b.awaitVisible(
            "pause button of 'other'",
            By.cssSelector("tr[data-queue='other'] button[data-action='pause']"));
    pause.click();
    b.awaitVisible(
        "resume button of 'other'",
        By.cssSelector("tr[data-queue='other'] button[data-action='resume']"));
    assertThat(f.errand.pausedQueues()).containsExactly("other");
    long waiting =
        f.errand
            .enqueue(f.email, new WebFixture.Email("a", "s", null), Enqueue.now().queue("other"))
            .id();
    b.awaitText(By.cssSelector("tr[data-queue='other'] td[data-label='queued']"), "1");
    assertThat(b.driver.findElement(By.cssSelector("tr[data-queue='other']")).getText())
        .contains("paused");
    b.screenshot("09-queues-paused");
    assertThat(f.errand.job(waiting).orElseThrow().state()).isEqualTo(JobState.QUEUED);
  }

  @Test
  void schedules_show_next_occurrences_and_run_now_and_pause_and_nodes_show_workers() {
    f.errand.defineSchedule(
        RecurringJob.of(
            "nightly-digest",
            f.email,
            new WebFixture.Email("team@example.com", "Digest", null),
            Schedule.daily(LocalTime.of(3, 30), ZoneId.of("Europe/Paris"))));
    b = Browser.start(profile, 1366, 860);
    open("#/schedules");
    WebElement row =
        b.awaitVisible("the schedule's row", By.cssSelector("tr[data-schedule='nightly-digest']"));
    b.await(
        "three next occurrences",
        d ->
            d.findElements(By.cssSelector("tr[data-schedule='nightly-digest'] .next-times li"))
                    .size()
                == 3);
    assertThat(row.getText()).contains("send-email").contains("Europe/Paris");
    row.findElement(By.cssSelector("button[data-action='trigger']")).click();
    b.awaitText(By.cssSelector(".toast.ok"), "Triggered nightly-digest");
    b.awaitText(By.cssSelector(".toast.ok"), "(send-email) succeeded");
    b.screenshot("10-schedules");
    b.driver
        .findElement(
            By.cssSelector("tr[data-schedule='nightly-digest'] button[data-action='pause']"))
        .click();
    b.awaitVisible(
        "resume button",
        By.cssSelector("tr[data-schedule='nightly-digest'] button[data-action='resume']"));
    assertThat(f.errand.schedule("nightly-digest").orElseThrow().paused()).isTrue();

    open("#/nodes");
    WebElement node = b.awaitVisible("this engine's node", By.cssSelector("#nodes tbody tr"));
    assertThat(node.getText()).contains("default (4)").contains("other (1)");
    b.screenshot("11-nodes");
  }

  @Test
  void after_a_server_restart_the_dashboard_reconnects_with_its_last_event_id_and_reloads() {
    long flaky = failedFlakyJob();
    b = Browser.start(profile, 1366, 860);
    open("#/jobs");
    long seen =
        f.enqueue(
            "{\"type\":\"send-email\",\"payload\":{\"to\":\"a\",\"subject\":\"s\",\"password\":null}}");
    // the list only changes on events: once it shows the new job succeeded, events (with ids)
    // arrived
    b.await(
        "the new job's success arrives live",
        d ->
            d.findElements(
                        By.cssSelector(
                            "#job-list tr[data-job-id='"
                                + seen
                                + "'] .badge[data-state='SUCCEEDED']"))
                    .size()
                == 1);
    int port = f.web.port();
    f.web.close();
    b.await(
        "the dashboard notices",
        d -> !"live".equals(d.findElement(By.id("live")).getAttribute("data-state")));
    f.errand.retry(flaky); // while the dashboard is cut off
    f.awaitState(flaky, JobState.SUCCEEDED);
    try (ErrandWeb again =
        ErrandWeb.create(f.errand, WebConfig.builder().port(port).build()).start()) {
      b.await(
          "reconnected",
          d -> "live".equals(d.findElement(By.id("live")).getAttribute("data-state")));
      WebElement live = b.driver.findElement(By.id("live"));
      assertThat(Integer.parseInt(live.getAttribute("data-reconnects"))).isPositive();
      // a reset is only sent to a client that presented a Last-Event-ID the new server does not
      // know
      assertThat(live.getAttribute("data-resets")).isEqualTo("1");
      b.await(
          "the list reloaded after the reset",
          d ->
              d.findElements(
                          By.cssSelector(
                              "#job-list tr[data-job-id='"
                                  + flaky
                                  + "'] .badge[data-state='SUCCEEDED']"))
                      .size()
                  == 1);
      b.screenshot("12-reconnected-after-restart");
      assertThat(again.internalErrors()).isZero();
    }
  }

  @Test
  void a_running_job_shows_its_progress_and_then_its_success() {
    CountDownLatch finish = new CountDownLatch(1);
    JobType<Note> report =
        f.errand.register(
            JobType.of(
                "quarterly-report",
                Note.class,
                (ctx, n) -> {
                  ctx.progress(40);
                  finish.await();
                }));
    long id = f.errand.enqueue(report, new Note("Q3")).id();
    f.awaitState(id, JobState.RUNNING);
    b = Browser.start(profile, 1366, 860);
    open("#/jobs/" + id);
    b.awaitText(By.cssSelector(".facts"), "40 %");
    assertThat(b.driver.findElement(By.cssSelector(".page-head .badge")).getText())
        .isEqualTo("RUNNING");
    assertThat(b.driver.findElement(By.id("cancel")).isDisplayed()).isTrue();
    b.screenshot("14-running-job-progress");
    finish.countDown();
    b.await(
        "the detail shows SUCCEEDED",
        d -> d.findElement(By.cssSelector(".page-head .badge")).getText().equals("SUCCEEDED"));
  }

  @Test
  void the_job_list_pages_by_cursor_and_a_bad_time_range_says_what_to_fix() {
    StringBuilder batch = new StringBuilder("{\"jobs\":[");
    for (int i = 0; i < 55; i++) {
      batch
          .append(i == 0 ? "" : ",")
          .append("{\"type\":\"send-email\",\"payload\":{\"to\":\"u")
          .append(i)
          .append("\",\"subject\":\"s\",\"password\":null},\"delay\":\"PT1H\"}");
    }
    assertThat(f.post("/api/jobs/batch", batch.append("]}").toString()).status()).isEqualTo(201);
    b = Browser.start(profile, 1366, 860);
    open("#/jobs?type=send-email&state=SCHEDULED");
    b.await("a first page of 50", d -> rows().size() == 50);
    String newest = fresh(() -> rows().get(0).getAttribute("data-job-id"));
    b.driver.findElement(By.id("older")).click();
    b.await("a second page of 5", d -> rows().size() == 5);
    assertThat(b.driver.findElement(By.id("older")).isEnabled())
        .as("no page after the last")
        .isFalse();
    b.driver.findElement(By.id("newer")).click();
    b.await(
        "back on the first page",
        d -> rows().size() == 50 && rows().get(0).getAttribute("data-job-id").equals(newest));

    open("#/jobs?from=2999-01-01T00:00:00Z");
    b.awaitText(By.cssSelector("#job-list .empty"), "No jobs match these filters");
    open("#/jobs?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z");
    WebElement error = b.awaitText(By.cssSelector("#job-list .failure"), "the time range is empty");
    assertThat(error.getText()).contains("invalid_parameter").contains("Try again");
    b.screenshot("15-bad-time-range");
  }

  @Test
  void the_overview_follows_the_stream() {
    b = Browser.start(profile, 1366, 860);
    open("");
    b.awaitText(By.cssSelector(".cards"), "Finished (1 h)");
    assertThat(b.driver.findElement(By.id("failed-count")).isDisplayed())
        .as("no failed jobs, no count")
        .isFalse();
    for (int i = 0; i < 3; i++) {
      f.enqueue(
          "{\"type\":\"send-email\",\"payload\":{\"to\":\"a\",\"subject\":\"s\",\"password\":null}}");
    }
    f.enqueue("{\"type\":\"fail\",\"payload\":{}}");
    // built-in maintenance jobs (every minute) may finish in the window too: at least four
    b.await(
        "four finished, one failed, counted live",
        d -> card("Finished (1 h)") >= 4 && card("Failed") == 1);
    b.await(
        "the failed count in the header",
        d -> d.findElement(By.id("failed-count")).getText().equals("1"));
  }
}
