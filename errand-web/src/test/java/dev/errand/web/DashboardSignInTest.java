package dev.errand.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.errand.JobState;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * With API keys configured the dashboard asks for one, keeps it in the tab's sessionStorage, sends
 * it on every call and on the event stream, and says plainly when a key lacks a scope.
 */
class DashboardSignInTest {
  static final String ADMIN_KEY = "admin-key-0123456789abcdef";
  static final String READ_KEY = "read-key-0123456789abcdef";

  @TempDir Path dir;
  @TempDir Path profile;
  WebFixture f;
  Browser b;

  @BeforeEach
  void start() {
    Browser.assumeInstalled();
    f = new WebFixture(dir, w -> w.apiKey(ADMIN_KEY, Scope.ADMIN).apiKey(READ_KEY, Scope.READ));
  }

  @AfterEach
  void stop() {
    Browser.closeWith(b, f);
  }

  private void signIn(String key) {
    WebElement input = b.awaitVisible("the sign-in field", By.id("sign-in-key"));
    input.sendKeys(key);
    b.driver.findElement(By.id("sign-in-submit")).click();
  }

  @Test
  void the_dashboard_asks_for_a_key_refuses_a_wrong_one_and_retries_with_an_admin_key() {
    f.key = ADMIN_KEY;
    long flaky = f.enqueue("{\"type\":\"flaky\",\"payload\":{},\"maxAttempts\":1}");
    f.awaitState(flaky, JobState.FAILED);
    b = Browser.start(profile, 1366, 860);
    b.driver.get(f.base() + "/dashboard#/jobs?state=FAILED");
    b.awaitVisible("the sign-in dialog", By.id("sign-in"));
    b.screenshot("13-sign-in");

    signIn("wrong-key-0123456789abcdef");
    b.awaitText(By.id("sign-in-error"), "not accepted");
    assertThat(b.js("return sessionStorage.getItem('errand.apiKey');"))
        .as("a refused key is forgotten")
        .isNull();

    signIn(READ_KEY);
    b.await(
        "the failed job is listed",
        d -> d.findElements(By.cssSelector("#job-list tr[data-job-id]")).size() == 1);
    b.await(
        "the stream is live with the key",
        d -> "live".equals(d.findElement(By.id("live")).getAttribute("data-state")));
    b.driver.findElement(By.cssSelector("#job-list tr[data-job-id] a")).click();
    b.awaitVisible("the retry button", By.id("retry")).click();
    b.awaitText(By.cssSelector(".toast.bad"), "insufficient_scope");
    assertThat(f.errand.job(flaky).orElseThrow().state()).isEqualTo(JobState.FAILED);

    b.driver.findElement(By.id("sign-out")).click();
    signIn(ADMIN_KEY);
    b.awaitVisible("the retry button", By.id("retry")).click();
    b.awaitText(By.cssSelector(".toast.ok"), "Job #" + flaky + " (flaky) succeeded");
    assertThat(f.errand.job(flaky).orElseThrow().state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(b.js("return sessionStorage.getItem('errand.apiKey');")).isEqualTo(ADMIN_KEY);
    assertThat(b.js("return localStorage.length;"))
        .as("the key never outlives the tab")
        .isEqualTo(0L);
  }
}
