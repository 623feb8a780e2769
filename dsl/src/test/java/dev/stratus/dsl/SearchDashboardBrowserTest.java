package dev.stratus.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.stratus.jobs.search.ExperimentResult;
import dev.stratus.jobs.search.SearchResult;
import dev.stratus.jobs.train.StopReason;
import dev.stratus.kernels.dataset.DatasetManifest;
import dev.stratus.kernels.dataset.DatasetWriter;
import dev.stratus.kernels.generate.PlantedData;
import dev.stratus.store.S3Path;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.SerializableUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard of a grid search on the DirectRunner, in headless Chromium driven by its ChromeDriver (Debian's
 * {@code chromium} and {@code chromium-driver}): a person opens the printed address, sees one curve per experiment
 * grow, stops one experiment with its button, and sees it end as killed while the others go on.
 */
@Timeout(300)
class SearchDashboardBrowserTest {
  private static final String ROOT = "s3://tests/dashboard";
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Pattern ADDRESS = Pattern.compile("dashboard at (http://127\\.0\\.0\\.1:\\d+/login\\?code=\\S+)");
  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path browserProfile;

  @Test
  void theStopButtonKillsOneExperimentWhileTheOthersGoOn() throws Exception {
    withDashboard(SearchDashboardBrowserTest::runSearch, (browser, wait, console, search) -> {
      Map<String, Integer> first = wait.until(d -> curvesOfAtLeast(d, 3, 3));
      Map<String, Integer> grown = wait.until(d -> {
        Map<String, Integer> now = curvesOfAtLeast(d, 3, 0);
        return now != null && first.keySet().stream().allMatch(id -> now.get(id) > first.get(id)) ? now : null;
      });
      console.println("curves grew from " + first + " to " + grown + " evaluations");

      browser.findElement(By.cssSelector("button[data-stop='1']")).click();
      wait.until(d -> stateOf(d, "1").equals("killed"));
      Map<String, Integer> atKill = wait.until(d -> curvesOfAtLeast(d, 3, 0));
      Map<String, Integer> after = wait.until(d -> {
        Map<String, Integer> now = curvesOfAtLeast(d, 3, 0);
        return now != null && now.get("0") >= atKill.get("0") + 3 && now.get("2") >= atKill.get("2") + 3 ? now : null;
      });
      console.println("after the stop: " + atKill + " then " + after);
      assertEquals(atKill.get("1"), after.get("1"), "the killed experiment's curve stopped");
      assertEquals("killed", stateOf(browser, "1"));
      assertEquals("running", stateOf(browser, "0"), "the others go on");
      assertEquals("running", stateOf(browser, "2"), "the others go on");
      assertTrue(browser.findElement(By.cssSelector("button[data-stop='1']")).getAttribute("disabled") != null);
      assertEquals("ended", attribute(browser, "polyline[data-experiment='1']", "class"));

      browser.findElement(By.id("stop-all")).click();
      wait.until(d -> List.of("0", "1", "2").stream().allMatch(id -> stateOf(d, id).equals("killed")));
      search.join(WAIT.toMillis());
      assertTrue(!search.isAlive(), "the search ended after stop-all");

      SearchResult result = (SearchResult) SerializableUtils.deserializeFromByteArray(
          DataTesting.store().get(S3Path.parse(ROOT + "/result")), "search result");
      console.println(result.table());
      ExperimentResult stoppedFirst = byId(result, 1);
      assertEquals(StopReason.KILLED, stoppedFirst.stopReason());
      for (int other : new int[] {0, 2}) {
        // seconds, not updates: the three share two cores unevenly, so a lower rate may trail in updates
        assertTrue(byId(result, other).seconds() > stoppedFirst.seconds(),
            "experiment " + other + " trained on after 1 was stopped:\n" + result.table());
        assertNotEquals(0, byId(result, other).curve().size());
      }
    });
  }

  /**
   * A search that leaves its system-level settings to the framework: every decision, on an experiment's workers and
   * on the experiments at once, is a line across the chart with its reason as its title.
   */
  @Test
  void theChartMarksEveryDecisionOnWorkersAndExperimentsAtOnceWithItsReason() throws Exception {
    // 100 classes: passes long enough for the search to outlast the browser's start
    PlantedData classes = new PlantedData(250, 100, 20_000, 2_000, 7);
    DatasetManifest template = DatasetManifest.template(250, List.of(), "planted", null);
    DatasetWriter.write(DataTesting.store(), S3Path.parse(ROOT + "/classes/train"), classes.train, template, 2_500);
    DatasetWriter.write(DataTesting.store(), S3Path.parse(ROOT + "/classes/validation"), classes.test, template,
        2_500);
    withDashboard(() -> {
      Pipeline p = DataTesting.pipeline();
      p.apply("Train", ReadDataset.from(ROOT + "/classes/train"))
          .apply(GridSearch.of(MultinomialLogisticRegression.withValidationSet(
                      p.apply("Validation", ReadDataset.from(ROOT + "/classes/validation")))
                  .classes(100))
              .vary("l2", 1e-3, 1e-4, 1e-5)
              .modelsTo(ROOT + "/auto-models/"));
      p.run().waitUntilFinish();
    }, (browser, wait, console, search) -> {
      // every experiment's worker decision and one on the experiments at once, then nothing more to see
      wait.until(d -> titles(d, "#chart line.scaling").size() >= 3 && !titles(d, "#chart line.at-once").isEmpty());
      List<String> workers = titles(browser, "#chart line.scaling");
      List<String> atOnce = titles(browser, "#chart line.at-once");
      browser.findElement(By.id("stop-all")).click();
      console.println("marks:\n" + String.join("\n", workers) + "\n" + String.join("\n", atOnce));
      for (int id = 0; id < 3; id++) {
        String prefix = "#" + id + ": workers ";
        assertTrue(workers.stream().anyMatch(t -> t.startsWith(prefix) && t.length() > prefix.length() + 20),
            "experiment " + id + "'s worker decisions marked with their reasons: " + workers);
      }
      assertTrue(atOnce.stream().anyMatch(t -> t.matches("experiments at once (\\d+ -> \\d+|settle at \\d+): .{20,}")),
          "the experiments at once marked with their reason: " + atOnce);
      wait.until(d -> finished(d) ? true : null);
      search.join(WAIT.toMillis());
    });
  }

  /** What the page shows once it has seen the search end. */
  private static boolean finished(WebDriver browser) {
    return browser.findElement(By.id("status")).getText().startsWith("finished");
  }

  /** The titles of the chart's elements {@code selector} finds, read in the page in one step. */
  @SuppressWarnings("unchecked")
  private static List<String> titles(WebDriver browser, String selector) {
    return (List<String>) ((JavascriptExecutor) browser).executeScript(
        "return Array.from(document.querySelectorAll(arguments[0] + ' > title')).map(t => t.textContent);", selector);
  }

  /** What a test does with a search's dashboard open in Chromium while the search runs on {@code search}. */
  private interface DashboardCheck {
    void check(WebDriver browser, WebDriverWait wait, PrintStream console, Thread search) throws Exception;
  }

  /**
   * Writes the data, runs {@code runSearch} on a thread of its own, opens the dashboard it prints in Chromium with
   * its login code, and hands them to {@code check}; the search must not fail, and is stopped if still running after.
   */
  private void withDashboard(Runnable runSearch, DashboardCheck check) throws Exception {
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
      fail("the dashboard's browser test needs Debian's chromium and its driver at " + CHROMIUM + " and "
          + CHROMEDRIVER + ": install them with apt-get install -y chromium chromium-driver, as .ci/run does");
    }
    writeData();
    ConsoleTee tee = ConsoleTee.start();
    PrintStream console = tee.console();
    AtomicReference<Throwable> searchFailure = new AtomicReference<>();
    Thread search = new Thread(() -> {
      try {
        runSearch.run();
      } catch (Throwable t) {
        t.printStackTrace();
        searchFailure.set(t);
      }
    }, "grid-search");
    search.setDaemon(true);
    WebDriver browser = null;
    try {
      search.start();
      String address = tee.await(ADDRESS, WAIT, search::isAlive);
      browser = chromium();
      WebDriverWait wait = new WebDriverWait(browser, WAIT, Duration.ofMillis(200));
      browser.get(address);
      assertEquals(address.substring(0, address.indexOf("/login")) + "/", browser.getCurrentUrl(),
          "the login code leaves the address bar once used");
      check.check(browser, wait, console, search);
      assertEquals(null, searchFailure.get(), "the search failed");
    } finally {
      if (browser != null) {
        try {
          if (search.isAlive()) {
            browser.findElement(By.id("stop-all")).click(); // a failed test leaves no search training for minutes
          }
        } finally {
          browser.quit();
        }
      }
      tee.close();
      search.join(WAIT.toMillis());
    }
  }

  private static void writeData() {
    PlantedData data = new PlantedData(1_000, 20_000, 2_000, 7);
    DatasetManifest template = DatasetManifest.template(1_000, List.of(), "planted", null);
    DataTesting.store().ensureBucket("tests");
    DatasetWriter.write(DataTesting.store(), S3Path.parse(ROOT + "/train"), data.train, template, 5_000);
    DatasetWriter.write(DataTesting.store(), S3Path.parse(ROOT + "/validation"), data.test, template, 5_000);
  }

  /**
   * Three experiments at once, one worker each, at rates low enough to keep improving: nothing stops them but the
   * dashboard (or, as a bound, their timeout).
   */
  private static void runSearch() {
    Pipeline p = DataTesting.pipeline();
    LogisticRegression base =
        LogisticRegression.withValidationSet(p.apply("Validation", ReadDataset.from(ROOT + "/validation")))
            .workers(1)
            .epsilon(0)
            .evalInterval(Duration.ofMillis(300))
            .timeout(Duration.ofSeconds(150));
    p.apply("Train", ReadDataset.from(ROOT + "/train"))
        .apply(GridSearch.of(base).vary("learningRate", 0.01, 0.02, 0.04).parallelism(3)
            .modelsTo(ROOT + "/models/"))
        .apply(ParDo.of(new GridSearchTest.Save<>(ROOT + "/result")));
    p.run().waitUntilFinish();
  }

  private WebDriver chromium() {
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    // No network beyond this machine: Chromium's own background traffic is turned off rather than refused.
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--user-data-dir=" + browserProfile.toAbsolutePath());
    WebDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    return driver;
  }

  /** The number of points of each experiment's curve, when there are 3 curves of at least {@code min}; else null. */
  private static Map<String, Integer> curvesOfAtLeast(WebDriver browser, int curves, int min) {
    Map<String, Integer> points = new HashMap<>();
    try {
      for (WebElement line : browser.findElements(By.cssSelector("#chart polyline[data-experiment]"))) {
        points.put(line.getAttribute("data-experiment"), Integer.parseInt(line.getAttribute("data-points")));
      }
    } catch (org.openqa.selenium.StaleElementReferenceException redrawn) {
      return null; // the chart was redrawn while being read
    }
    return points.size() == curves && points.values().stream().allMatch(n -> n >= min) ? points : null;
  }

  /**
   * An attribute of the element {@code selector} finds, read in the page in one step: the chart is redrawn every
   * second, so an element found in one call may be gone at the next.
   */
  private static String attribute(WebDriver browser, String selector, String name) {
    return (String) ((JavascriptExecutor) browser).executeScript(
        "const e = document.querySelector(arguments[0]); return e === null ? null : e.getAttribute(arguments[1]);",
        selector, name);
  }

  private static String stateOf(WebDriver browser, String id) {
    return browser.findElement(By.cssSelector("tr[data-experiment='" + id + "'] td.state")).getText();
  }

  private static ExperimentResult byId(SearchResult result, int id) {
    return result.experiments().stream().filter(e -> e.id() == id).findFirst().orElseThrow();
  }
}
