package dev.errand.web;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.function.Function;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless Chromium driven by its chromedriver, with a fresh profile and every feature
 * that would reach the internet turned off. Screenshots go to {@code target/screenshots/}.
 *
 * <p>When {@code /usr/bin/chromium} or {@code /usr/bin/chromedriver} is missing the test is skipped
 * with a message on standard error and in the JUnit report, never passed.
 *
 * <p>Public, in errand-web's test jar, for the other modules' page tests (the examples' kitchen).
 */
public final class Browser implements AutoCloseable {
  static final Path CHROMIUM = Path.of(System.getProperty("errand.chromium", "/usr/bin/chromium"));
  static final Path CHROMEDRIVER =
      Path.of(System.getProperty("errand.chromedriver", "/usr/bin/chromedriver"));
  static final Path SCREENSHOTS = Path.of("target", "screenshots");

  public final ChromeDriver driver;
  private final ChromeDriverService service;

  private Browser(ChromeDriverService service, ChromeDriver driver) {
    this.service = service;
    this.driver = driver;
  }

  /** Skips the calling test, loudly, when the browser is not installed. */
  static void assumeInstalled() {
    assumeInstalled("the dashboard", CHROMIUM, CHROMEDRIVER);
  }

  /** Skips the calling test, loudly, saying that {@code what} was not tested in a browser. */
  static void assumeInstalled(String what, Path chromium, Path chromedriver) {
    boolean present = Files.isExecutable(chromium) && Files.isExecutable(chromedriver);
    if (!present) {
      String msg =
          "SKIPPED: browser tests of "
              + what
              + " need Debian's chromium and chromium-driver ("
              + chromium
              + ", "
              + chromedriver
              + "); install them with 'apt-get install chromium"
              + " chromium-driver'. "
              + what.toUpperCase(java.util.Locale.ROOT)
              + " WAS NOT TESTED IN A BROWSER.";
      System.err.println("\n*** " + msg + " ***\n");
      assumeTrue(false, msg);
    }
  }

  static Browser start(Path profile, int width, int height) {
    return start("the dashboard", profile, width, height);
  }

  /**
   * A browser with a fresh profile in {@code profile} and a viewport of width x height; skips the
   * test, naming {@code what} would have been tested, when Chromium is not installed.
   */
  public static Browser start(String what, Path profile, int width, int height) {
    assumeInstalled(what, CHROMIUM, CHROMEDRIVER);
    ChromeOptions o = new ChromeOptions();
    o.setBinary(CHROMIUM.toFile());
    o.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--disable-extensions",
        "--disable-default-apps",
        "--no-default-browser-check",
        "--hide-scrollbars",
        "--lang=en-US",
        "--user-data-dir=" + profile.toAbsolutePath(),
        "--window-size=" + width + "," + height);
    o.setCapability("goog:loggingPrefs", java.util.Map.of("browser", "ALL"));
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
            .usingAnyFreePort()
            .build();
    ChromeDriver driver = new ChromeDriver(service, o);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
    Browser b = new Browser(service, driver);
    b.size(width, height);
    return b;
  }

  /** Sets the viewport (not the window) to width x height CSS pixels. */
  public void size(int width, int height) {
    driver.manage().window().setSize(new Dimension(width, height));
    Object inner = js("return [window.innerWidth, window.innerHeight];");
    @SuppressWarnings("unchecked")
    java.util.List<Number> wh = (java.util.List<Number>) inner;
    int dw = width - wh.get(0).intValue();
    int dh = height - wh.get(1).intValue();
    if (dw != 0 || dh != 0) {
      driver.manage().window().setSize(new Dimension(width + dw, height + dh));
    }
  }

  public Object js(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  public <T> T await(String what, Function<WebDriver, T> condition) {
    try {
      return new WebDriverWait(driver, Duration.ofSeconds(20))
          .withMessage(what)
          .ignoring(StaleElementReferenceException.class)
          .until(condition);
    } catch (org.openqa.selenium.TimeoutException e) {
      // what the page showed when the wait gave up, for whoever reads the failure
      e.addSuppressed(
          new AssertionError(
              "page at timeout: "
                  + screenshot("timeout-" + what.replaceAll("[^A-Za-z0-9]+", "-"))
                  + "; text: "
                  + driver.findElement(org.openqa.selenium.By.tagName("body")).getText()));
      throw e;
    }
  }

  public WebElement awaitVisible(String what, By by) {
    return await(
        what,
        d -> d.findElements(by).stream().filter(WebElement::isDisplayed).findFirst().orElse(null));
  }

  /** Waits for {@code by} to show {@code text} somewhere in its text. */
  public WebElement awaitText(By by, String text) {
    return await(
        "'" + text + "' in " + by,
        d ->
            d.findElements(by).stream()
                .filter(e -> e.getText().contains(text))
                .findFirst()
                .orElse(null));
  }

  /** Saves a full-viewport PNG as target/screenshots/{name}.png and returns its path. */
  public Path screenshot(String name) {
    try {
      Files.createDirectories(SCREENSHOTS);
      File f = driver.getScreenshotAs(OutputType.FILE);
      Path to = SCREENSHOTS.resolve(name + ".png");
      Files.copy(f.toPath(), to, StandardCopyOption.REPLACE_EXISTING);
      return to;
    } catch (IOException e) {
      throw new AssertionError("screenshot " + name + " could not be saved", e);
    }
  }

  /**
   * The page's console messages that mean a fault of the dashboard: uncaught errors and anything
   * the Content-Security-Policy refused. (A refused API call the test provoked is not one.)
   */
  public java.util.List<String> faults() {
    return driver.manage().logs().get(org.openqa.selenium.logging.LogType.BROWSER).getAll().stream()
        .map(org.openqa.selenium.logging.LogEntry::getMessage)
        .filter(
            m ->
                m.contains("Refused to")
                    || m.contains("Uncaught")
                    || m.contains("Content Security Policy")
                    || m.contains("errand dashboard:"))
        .toList();
  }

  /**
   * Quits {@code browser} (if started), then checks that no request reached the 500 catch-all and
   * closes {@code fixture} (if created).
   */
  static void closeWith(Browser browser, WebFixture fixture) {
    try {
      if (browser != null) {
        try {
          org.assertj.core.api.Assertions.assertThat(browser.faults())
              .as("script errors and CSP refusals")
              .isEmpty();
        } finally {
          browser.close();
        }
      }
    } finally {
      if (fixture != null) {
        try {
          org.assertj.core.api.Assertions.assertThat(fixture.web.internalErrors())
              .as("requests answered by the 500 catch-all")
              .isZero();
        } finally {
          fixture.close();
        }
      }
    }
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      service.stop();
    }
  }
}
