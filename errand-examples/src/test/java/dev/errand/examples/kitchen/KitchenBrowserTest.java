package dev.errand.examples.kitchen;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.errand.Job;
import dev.errand.JobQuery;
import dev.errand.web.Browser;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;

/**
 * The page of 004 end to end in Debian's headless Chromium: the production dialog closes at once
 * while its task is still held in the background, then a snackbar reports the outcome; a failed
 * task lands in the failed list and its Retry button runs it again; a reload shows the history.
 *
 * <p>Skipped, loudly, when {@code /usr/bin/chromium} or {@code /usr/bin/chromedriver} is missing.
 * Every network feature of the browser that could reach the internet is off.
 */
class KitchenBrowserTest extends KitchenTestBase {
  private Browser browser;
  private ChromeDriver driver;

  @Test
  void the_production_dialog_closes_at_once_and_a_snackbar_reports_the_task() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    start(config().beforeWork((jobId, attempt) -> release.await()));
    open();

    driver.findElement(By.id("open-production")).click();
    WebElement dialog = driver.findElement(By.id("production-dialog"));
    await("the production dialog opens", d -> dialog.isDisplayed());
    new Select(driver.findElement(By.id("production-preparation"))).selectByValue("hummus");
    driver.findElement(By.id("production-quantity")).sendKeys("500");
    driver.findElement(By.id("production-user")).sendKeys("Sari");
    screenshot("kitchen-production-dialog");
    driver.findElement(By.id("production-submit")).click();

    await("the production dialog closes", d -> !dialog.isDisplayed());
    List<Job> jobs = app.errand().jobs(JobQuery.all().queue(KitchenJobs.QUEUE)).jobs();
    assertThat(jobs).singleElement().satisfies(j -> assertThat(j.state().isFinal()).isFalse());
    awaitText(By.id("processing-list"), "Production: Hummus 500 g");
    awaitText(By.id("background"), "1 task in the background");

    release.countDown();

    WebElement done = awaitText(By.cssSelector("#snackbars .snackbar.success"), "Hummus 500 g");
    assertThat(done.getText()).contains("Hummus 500 g produced, cost 29500");
    screenshot("kitchen-production-done");
    awaitText(By.id("history-list"), "Production: Hummus 500 g");
    assertThat(driver.findElement(By.id("processing-list")).getText()).isEqualTo("none");
    assertThat(driver.findElement(By.id("background")).isDisplayed()).isFalse();
    assertThat(faults()).isEmpty();
  }

  @Test
  void a_failed_task_shows_an_error_snackbar_and_its_retry_button_runs_it_again()
      throws IOException {
    start(config());
    open();

    driver.findElement(By.id("open-production")).click();
    new Select(driver.findElement(By.id("production-preparation"))).selectByValue("tomato-sauce");
    driver.findElement(By.id("production-quantity")).sendKeys("10000");
    driver.findElement(By.id("production-user")).sendKeys("Sari");
    driver.findElement(By.id("production-submit")).click();

    awaitText(
        By.cssSelector("#snackbars .snackbar.error"), "Tomatoes needs 9000 g, 5000 g in stock");
    WebElement retry =
        awaitVisible("the Retry button of the failed task", By.cssSelector("#failed-list .retry"));
    screenshot("kitchen-task-failed");
    assertThat(
            http.post(
                    "/api/stock/receipts",
                    "{\"productId\":\"tomatoes\",\"quantity\":4000,\"unitCost\":22}")
                .status())
        .isEqualTo(201);
    retry.click();

    awaitText(By.cssSelector("#snackbars .snackbar.success"), "Tomato sauce 10000 g produced");
    await(
        "the failed list empties",
        d -> d.findElement(By.id("failed-list")).getText().equals("none"));

    driver.navigate().refresh(); // the tasks live in the database, not in the page
    awaitText(By.id("history-list"), "Production: Tomato sauce 10000 g");
    awaitText(By.id("stock"), "Tomato sauce");
    assertThat(faults()).isEmpty();
  }

  @Test
  void the_write_off_dialog_queues_a_write_off_and_reports_the_negative_batch() {
    start(config());
    open();

    driver.findElement(By.id("open-writeoff")).click();
    WebElement dialog = driver.findElement(By.id("writeoff-dialog"));
    await("the write-off dialog opens", d -> dialog.isDisplayed());
    new Select(driver.findElement(By.id("writeoff-kind"))).selectByValue("product");
    new Select(driver.findElement(By.id("writeoff-item"))).selectByValue("onion");
    driver.findElement(By.id("writeoff-quantity")).sendKeys("2500");
    new Select(driver.findElement(By.id("writeoff-reason"))).selectByValue("spoiled");
    driver.findElement(By.id("writeoff-user")).sendKeys("John");
    driver.findElement(By.id("writeoff-affects-kpi")).click();
    driver.findElement(By.id("writeoff-submit")).click();

    await("the write-off dialog closes", d -> !dialog.isDisplayed());
    awaitText(
        By.cssSelector("#snackbars .snackbar.success"),
        "Written off Onion 2500 g (500 not in stock, recorded as a negative batch), cost 37500");
    awaitText(By.id("stock"), "-500 g");
    JsonNode kpi = http.get("/api/kpi").json();
    assertThat(kpi.get(0).get("kind").asText()).isEqualTo("product_writeoff");
    assertThat(kpi.get(0).get("affectsKpi").asBoolean()).isFalse();
    assertThat(faults()).isEmpty();
  }

  // ------------------------------------------------------------------ the browser

  private void open() {
    browser = Browser.start("the kitchen page", dir.resolve("chromium-profile"), 1280, 900);
    driver = browser.driver;
    driver.get(app.baseUrl() + "/");
    await(
        "the page loads its catalog, its lists and its event stream",
        d ->
            "true".equals(d.findElement(By.tagName("body")).getDomAttribute("data-loaded"))
                && d.findElement(By.id("connection")).getText().equals("live"));
  }

  private <T> T await(String what, Function<WebDriver, T> condition) {
    return browser.await(what, condition);
  }

  private WebElement awaitVisible(String what, By by) {
    return browser.awaitVisible(what, by);
  }

  private WebElement awaitText(By by, String text) {
    return browser.awaitText(by, text);
  }

  /** Saves the viewport as target/screenshots/{name}.png, for whoever reviews the page. */
  private void screenshot(String name) {
    browser.screenshot(name);
  }

  /** Uncaught script errors and anything the Content-Security-Policy refused. */
  private List<String> faults() {
    return browser.faults();
  }

  @AfterEach
  void quit() {
    if (browser != null) {
      browser.close();
    }
  }
}
