package dev.stratus.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stratus.jobs.dashboard.SearchDashboard;
import dev.stratus.jobs.search.ExperimentResult;
import dev.stratus.jobs.search.SearchResult;
import dev.stratus.jobs.train.StopReason;
import dev.stratus.store.S3Path;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.SerializableUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A grid search on LambdaRunner (local Lambda service, shard processes, invoked workers) prints its dashboard's
 * address, and a stop through the dashboard's API kills that experiment, whose workers are Lambda invocations, while
 * the other goes on.
 */
@Timeout(420)
class SearchDashboardOnLambdaTest {
  private static final String ROOT = "s3://tests/dashboard-on-workers";
  private static final Pattern ADDRESS = Pattern.compile("dashboard at (http://127\\.0\\.0\\.1:\\d+/login\\?code=\\S+)");
  private static final Duration WAIT = Duration.ofSeconds(150);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @Test
  void theDashboardStopsAnExperimentWhoseWorkersAreLambdaInvocations() throws Exception {
    try (LambdaTrainingSetup setup = LambdaTrainingSetup.start(ROOT, 6); ConsoleTee tee = ConsoleTee.start()) {
      Pipeline p = Pipeline.create(setup.options());
      LogisticRegression base =
          LogisticRegression.withValidationSet(p.apply("Validation", ReadDataset.from(ROOT + "/validation")))
              .workers(1)
              .psShards(1)
              .epsilon(0)
              .evalInterval(Duration.ofMillis(300))
              .timeout(Duration.ofSeconds(120));
      p.apply("Train", ReadDataset.from(ROOT + "/train"))
          .apply(GridSearch.of(base).vary("learningRate", 0.01, 0.02).parallelism(2).modelsTo(ROOT + "/models/"))
          .apply(ParDo.of(new GridSearchTest.Save<>(ROOT + "/result")));
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Thread search = new Thread(() -> {
        try {
          p.run().waitUntilFinish();
        } catch (Throwable t) {
          t.printStackTrace();
          failure.set(t);
        }
      }, "search-on-lambda");
      search.setDaemon(true);
      search.start();

      URI printed = URI.create(tee.await(ADDRESS, WAIT, search::isAlive));
      String cookie = login(printed);
      URI api = printed.resolve("/api/search");
      // Evaluations are paced by the clock: workers still starting (cold environments) leave a curve flat at the
      // first model's loss, so the experiments are known to be training once both have made updates.
      JsonNode running = awaitSearch(api, cookie,
          s -> s.path("experiments").get(0).path("curve").size() >= 3
              && s.path("experiments").get(1).path("curve").size() >= 3
              && s.path("experiments").get(0).path("updates").asLong() > 0
              && s.path("experiments").get(1).path("updates").asLong() > 0);
      assertEquals(1, running.path("experiments").get(0).path("workers").asInt(), running.toString());
      assertEquals(202, post(printed.resolve("/api/experiments/0/stop"), cookie).statusCode());
      JsonNode killed = awaitSearch(api, cookie,
          s -> s.path("experiments").get(0).path("state").asText().equals("killed"));
      int otherAtKill = killed.path("experiments").get(1).path("curve").size();
      int killedPoints = killed.path("experiments").get(0).path("curve").size();
      long killedUpdates = killed.path("experiments").get(0).path("updates").asLong();
      JsonNode later = awaitSearch(api, cookie,
          s -> s.path("experiments").get(1).path("curve").size() >= otherAtKill + 3
              && s.path("experiments").get(1).path("updates").asLong() > killedUpdates);
      assertEquals("running", later.path("experiments").get(1).path("state").asText(), "the other goes on");
      assertEquals(killedPoints, later.path("experiments").get(0).path("curve").size(), "the killed one stopped");
      assertEquals(202, post(printed.resolve("/api/stop-all"), cookie).statusCode());
      search.join(WAIT.toMillis());
      assertEquals(null, failure.get(), "the search failed");

      SearchResult result = (SearchResult) SerializableUtils.deserializeFromByteArray(
          DataTesting.store().get(S3Path.parse(ROOT + "/result")), "search result");
      tee.console().println(result.table());
      ExperimentResult first = result.experiments().stream().filter(e -> e.id() == 0).findFirst().orElseThrow();
      ExperimentResult second = result.experiments().stream().filter(e -> e.id() == 1).findFirst().orElseThrow();
      assertEquals(StopReason.KILLED, first.stopReason(), result.table());
      assertTrue(first.requests() >= 1 && second.updates() > first.updates(), result.table());
      assertNotEquals(0, second.curve().size());
    }
  }

  private String login(URI printed) throws Exception {
    HttpResponse<Void> response =
        http.send(HttpRequest.newBuilder(printed).build(), HttpResponse.BodyHandlers.discarding());
    assertEquals(303, response.statusCode());
    String setCookie = response.headers().firstValue("Set-Cookie").orElseThrow();
    return setCookie.substring(0, setCookie.indexOf(';'));
  }

  private HttpResponse<String> post(URI address, String cookie) throws Exception {
    return http.send(
        HttpRequest.newBuilder(address)
            .header("Cookie", cookie)
            .header(SearchDashboard.SCRIPT_HEADER, "1")
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode awaitSearch(URI api, String cookie, Predicate<JsonNode> condition) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    JsonNode search = null;
    while (System.nanoTime() < deadline) {
      HttpResponse<String> response =
          http.send(HttpRequest.newBuilder(api).header("Cookie", cookie).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode(), response.body());
      search = JSON.readTree(response.body());
      if (condition.test(search)) {
        return search;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the dashboard did not show what was awaited in " + WAIT + "; last: " + search);
  }
}
