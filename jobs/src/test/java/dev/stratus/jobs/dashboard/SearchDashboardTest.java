package dev.stratus.jobs.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stratus.jobs.search.Experiment;
import dev.stratus.jobs.search.ExperimentResult;
import dev.stratus.jobs.train.Prices;
import dev.stratus.jobs.search.SearchDriver;
import dev.stratus.jobs.search.SearchDriverTest;
import dev.stratus.jobs.search.SearchResult;
import dev.stratus.jobs.search.SearchState;
import dev.stratus.jobs.train.Shards;
import dev.stratus.jobs.train.StopReason;
import dev.stratus.store.EmbeddedS3Server;
import dev.stratus.store.ObjectStore;
import dev.stratus.store.S3Path;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard against a real HTTP client on a real socket: it answers nothing it has not authenticated (one-time
 * login code, session cookie, Host and Origin checks), and a stop from it stops a real search's experiment.
 */
@Timeout(180)
class SearchDashboardTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir Path dir;

  private HttpResponse<String> get(SearchDashboard dashboard, String path, String cookie) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(address(dashboard, path)).timeout(Duration.ofSeconds(10));
    if (cookie != null) {
      request.header("Cookie", cookie);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(SearchDashboard dashboard, String path, String cookie, Map<String, String> headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(address(dashboard, path))
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.noBody());
    if (cookie != null) {
      request.header("Cookie", cookie);
    }
    headers.forEach(request::header);
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static URI address(SearchDashboard dashboard, String path) {
    return URI.create("http://127.0.0.1:" + dashboard.port() + path);
  }

  /** Logs in with the printed address and returns the session cookie ("name=value"). */
  private String login(SearchDashboard dashboard) throws Exception {
    URI printed = dashboard.loginAddress();
    HttpResponse<String> response =
        http.send(HttpRequest.newBuilder(printed).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(303, response.statusCode(), response.body());
    assertEquals("/", response.headers().firstValue("Location").orElse(null));
    String setCookie = response.headers().firstValue("Set-Cookie").orElseThrow();
    assertTrue(setCookie.contains("; HttpOnly") && setCookie.contains("; SameSite=Strict"), setCookie);
    return setCookie.substring(0, setCookie.indexOf(';'));
  }

  /** A request written by hand, so its Host header can be anything: status line of the answer. */
  private static String rawGet(int port, String host, String path, String cookie) throws IOException {
    try (Socket socket = new Socket(SearchDashboard.loopback(), port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nCookie: " + cookie
          + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      return answer.substring(0, answer.indexOf("\r\n"));
    }
  }

  @Test
  void everyRequestIsAuthenticatedAndTheLoginCodeWorksOnce() throws Exception {
    SearchState state = new SearchState(Prices.AWS_LAMBDA_X86, 512);
    SearchDriverTest.experiments(0.1f, 0.2f, 0.3f).forEach(state::waiting);
    List<Integer> stopped = Collections.synchronizedList(new ArrayList<>());
    try (SearchDashboard dashboard = SearchDashboard.start(state, stopped::add, 0)) {
      int port = dashboard.port();
      assertTrue(dashboard.loginAddress().toString().matches("http://127\\.0\\.0\\.1:" + port
          + "/login\\?code=[A-Za-z0-9_-]{43}"), dashboard.loginAddress().toString());
      for (String path : List.of("/", "/dashboard.js", "/api/search", "/nothing")) {
        assertEquals(401, get(dashboard, path, null).statusCode(), path + " without a session");
      }
      assertEquals(401, post(dashboard, "/api/stop-all", null, Map.of(SearchDashboard.SCRIPT_HEADER, "1"))
          .statusCode());
      assertEquals(403, get(dashboard, "/login?code=guessed", null).statusCode());
      assertEquals(403, get(dashboard, "/login", null).statusCode());

      String cookie = login(dashboard);
      HttpResponse<String> again = http.send(
          HttpRequest.newBuilder(dashboard.loginAddress()).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(403, again.statusCode(), "the login code works once");
      assertTrue(again.headers().firstValue("Set-Cookie").isEmpty());
      HttpResponse<String> reopened = http.send(HttpRequest.newBuilder(dashboard.loginAddress())
          .header("Cookie", cookie).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(303, reopened.statusCode(), "the browser logged in opens the printed address again");
      assertTrue(reopened.headers().firstValue("Set-Cookie").isEmpty());

      HttpResponse<String> page = get(dashboard, "/", cookie);
      assertEquals(200, page.statusCode());
      assertTrue(page.body().contains("<svg id=\"chart\""), page.body());
      assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("connect-src 'self'"));
      assertEquals(200, get(dashboard, "/dashboard.js", cookie).statusCode());
      JsonNode search = JSON.readTree(get(dashboard, "/api/search", cookie).body());
      assertEquals(3, search.path("experiments").size());
      assertEquals("waiting", search.path("experiments").get(0).path("state").asText());

      String value = cookie.substring(cookie.indexOf('=') + 1);
      assertEquals(401, get(dashboard, "/api/search", cookie.substring(0, cookie.indexOf('=')) + "=forged")
          .statusCode());
      assertEquals(401, get(dashboard, "/api/search", "stratus-dashboard-1=" + value).statusCode(),
          "another port's cookie name");

      // DNS rebinding: a page of another site whose name now points at 127.0.0.1 sends that name as its Host.
      assertEquals("HTTP/1.1 403 Forbidden", rawGet(port, "rebound.example:" + port, "/api/search", cookie));
      assertEquals("HTTP/1.1 403 Forbidden", rawGet(port, "127.0.0.1:" + (port + 1), "/api/search", cookie));
      assertEquals("HTTP/1.1 200 OK", rawGet(port, "localhost:" + port, "/api/search", cookie));
      assertEquals("HTTP/1.1 200 OK", rawGet(port, "127.0.0.1:" + port, "/api/search", cookie));

      // A stop must come from the page's script: a form posted by another site has neither the header nor the origin.
      assertEquals(403, post(dashboard, "/api/experiments/1/stop", cookie, Map.of()).statusCode());
      assertEquals(403, post(dashboard, "/api/experiments/1/stop", cookie,
          Map.of(SearchDashboard.SCRIPT_HEADER, "1", "Origin", "http://rebound.example:" + port)).statusCode());
      assertEquals(List.of(), stopped, "nothing refused stopped anything");
      String origin = "http://127.0.0.1:" + port;
      HttpResponse<String> stopOne = post(dashboard, "/api/experiments/1/stop", cookie,
          Map.of(SearchDashboard.SCRIPT_HEADER, "1", "Origin", origin));
      assertEquals(202, stopOne.statusCode(), stopOne.body());
      assertEquals("{\"stopping\":[1]}", stopOne.body());
      assertEquals("stopping", state.state(1));
      assertEquals(404, post(dashboard, "/api/experiments/7/stop", cookie, Map.of(SearchDashboard.SCRIPT_HEADER, "1"))
          .statusCode());
      HttpResponse<String> stopAll = post(dashboard, "/api/stop-all", cookie, Map.of(SearchDashboard.SCRIPT_HEADER, "1"));
      assertEquals(202, stopAll.statusCode());
      assertEquals(List.of(1, 0, 1, 2), stopped, "stop-all stops every experiment not ended");
    }
  }

  @Test
  void closingWaitsForAnOpenPageToBeShownTheEndThenFreesThePort() throws Exception {
    SearchState state = new SearchState(Prices.AWS_LAMBDA_X86, 512);
    List<Experiment> experiments = SearchDriverTest.experiments(0.1f);
    experiments.forEach(state::waiting);
    state.started(experiments.get(0), 1, null);
    state.ended(new ExperimentResult(0, experiments.get(0).parameters(), StopReason.KILLED, Double.NaN,
        Double.NaN, List.of(), 1, 0, 1, 0.5, 0.0001, null, null, null));
    SearchDashboard unwatched = SearchDashboard.start(state, id -> {}, 0);
    long start = System.nanoTime();
    unwatched.closeOnceShownFinished(Duration.ofSeconds(60));
    assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos(), "nobody logged in: closed at once");

    SearchDashboard watched = SearchDashboard.start(state, id -> {}, 0);
    String cookie = login(watched);
    Thread closing = new Thread(() -> {
      try {
        watched.closeOnceShownFinished(Duration.ofSeconds(60));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    closing.start();
    Thread.sleep(500);
    assertTrue(closing.isAlive(), "waits for the page");
    assertEquals(200, get(watched, "/", cookie).statusCode(), "still serving");
    assertTrue(JSON.readTree(get(watched, "/api/search", cookie).body()).path("finished").asBoolean());
    closing.join(10_000);
    assertTrue(!closing.isAlive(), "closed once the page was shown the search finished");
    try (ServerSocket again = new ServerSocket(watched.port(), 1, SearchDashboard.loopback())) {
      assertEquals(watched.port(), again.getLocalPort(), "the port is free again");
    }
  }

  @Test
  void aPortInUseIsRefusedNamingThePort() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, SearchDashboard.loopback())) {
      int port = taken.getLocalPort();
      BindException e = assertThrows(BindException.class,
          () -> SearchDashboard.start(new SearchState(Prices.AWS_LAMBDA_X86, 512), id -> {}, port));
      assertTrue(e.getMessage().startsWith("the search dashboard cannot listen on 127.0.0.1:" + port
          + ": the port is in use"), e.getMessage());
    }
  }

  @Test
  void thePageAsksForNothingOffTheMachine() throws Exception {
    Pattern address = Pattern.compile("(https?:)?//[A-Za-z0-9.-]+[^\\s'\"`]*");
    for (String asset : List.of("index.html", "dashboard.js", "dashboard.css")) {
      try (InputStream in = SearchDashboard.class.getResourceAsStream(asset)) {
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        Matcher found = address.matcher(text);
        while (found.find()) {
          // The SVG namespace names the element type; nothing is fetched from it.
          assertEquals("http://www.w3.org/2000/svg", found.group(), asset + " refers to an address off the machine");
        }
      }
    }
  }

  @Test
  void aStopFromTheDashboardStopsThatExperimentOfARealSearch() throws Exception {
    try (EmbeddedS3Server server = EmbeddedS3Server.start(dir); Shards shards = Shards.inProcess(2)) {
      ObjectStore store = ObjectStore.of(server.spec());
      SearchState state = new SearchState(Prices.AWS_LAMBDA_X86, 512);
      SearchDriver search = SearchDriverTest.plantedSearch(store, shards, System.out::println).listen(state);
      try (SearchDashboard dashboard = SearchDashboard.start(state, search::stop, 0)) {
        String cookie = login(dashboard);
        List<Experiment> experiments = SearchDriverTest.experiments(0.05f, 0.1f);
        Thread steering =
            new Thread(() -> {
              try {
                // Training, as the dashboard shows it: evaluations, updates at some speed, a cost.
                JsonNode first = awaitFirstExperiment(dashboard, cookie,
                    e -> e.path("curve").size() >= 3 && e.path("updatesPerSecond").asDouble() > 0);
                assertEquals("running", first.path("state").asText(), first.toString());
                assertTrue(first.path("updates").asLong() > 0 && first.path("cost").asDouble() > 0, first.toString());
                assertEquals(202, post(dashboard, "/api/experiments/0/stop", cookie,
                    Map.of(SearchDashboard.SCRIPT_HEADER, "1")).statusCode());
              } catch (Exception e) {
                throw new AssertionError(e);
              }
            }, "dashboard-user");
        List<Throwable> steeringFailures = Collections.synchronizedList(new ArrayList<>());
        steering.setUncaughtExceptionHandler((t, e) -> steeringFailures.add(e));
        steering.start();
        SearchResult result = search.run(experiments, id -> S3Path.parse("s3://search/models/" + id + "/model.bin"));
        steering.join();
        assertEquals(List.of(), steeringFailures);
        System.out.println(result.table());

        JsonNode finished = JSON.readTree(get(dashboard, "/api/search", cookie).body());
        assertTrue(finished.path("finished").asBoolean(), finished.toString());
        for (ExperimentResult experiment : result.experiments()) {
          JsonNode shown = finished.path("experiments").get(experiment.id());
          assertEquals(experiment.state(), shown.path("state").asText());
          assertEquals(experiment.curve().size(), shown.path("curve").size(), "every evaluation is on the chart");
          assertEquals(experiment.bestValidationLoss(), shown.path("bestLoss").asDouble(), 1e-12);
          assertEquals(experiment.updates(), shown.path("updates").asLong());
        }
        ExperimentResult killed = result.experiments().stream().filter(e -> e.id() == 0).findFirst().orElseThrow();
        ExperimentResult other = result.experiments().stream().filter(e -> e.id() == 1).findFirst().orElseThrow();
        assertEquals(StopReason.KILLED, killed.stopReason(), result.table());
        assertNotEquals(StopReason.KILLED, other.stopReason(), result.table());
        assertTrue(other.updates() > killed.updates(), "the other experiment went on:\n" + result.table());
      }
    }
  }

  /** Polls the dashboard until experiment 0 shows as {@code awaited}; returns it as shown. */
  private JsonNode awaitFirstExperiment(SearchDashboard dashboard, String cookie, Predicate<JsonNode> awaited)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    JsonNode first = null;
    while (System.nanoTime() < deadline) {
      // Absent until the search has started, which the steering thread does not wait for.
      first = JSON.readTree(get(dashboard, "/api/search", cookie).body()).path("experiments").get(0);
      if (first != null && awaited.test(first)) {
        return first;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("experiment 0 did not show as awaited in 90 s; last: " + first);
  }
}
