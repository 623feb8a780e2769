package dev.stratus.jobs.dashboard;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.stratus.jobs.search.SearchState;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A search's web dashboard, served by the driver on 127.0.0.1: the loss curves of every experiment on one chart and a
 * table of them with a stop button each, updating live from {@code /api/search} (the {@link SearchState} as JSON);
 * {@code POST /api/experiments/<id>/stop} and {@code POST /api/stop-all} stop experiments through the search.
 * Every asset is a resource of this jar: the page makes no request off the machine.
 *
 * <p>It answers only requests it has authenticated. The address it prints carries a login code made at random at each
 * start; the first request with it gets a session cookie (HttpOnly, SameSite=Strict) and the code is spent. Every
 * other request needs that cookie (401 without it); every request must name this server in its Host header (a page
 * of another site whose name was rebound to 127.0.0.1 is refused, 403); a POST must carry the header the page's own
 * script sets, and an Origin, if any, of this server (a form another site posts is refused, 403).
 */
public final class SearchDashboard implements AutoCloseable {
  /** The header the page's script sets on its requests; a cross-site form cannot set it. */
  public static final String SCRIPT_HEADER = "X-Stratus-Dashboard";
  private static final Pattern STOP_ONE = Pattern.compile("/api/experiments/(\\d{1,9})/stop");
  private static final Map<String, String> ASSETS =
      Map.of(
          "/", "index.html",
          "/dashboard.js", "dashboard.js",
          "/dashboard.css", "dashboard.css");
  private static final Map<String, String> CONTENT_TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "css", "text/css; charset=utf-8");
  /** The page may load and call only this server. */
  private static final String CONTENT_SECURITY_POLICY =
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
          + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SearchState state;
  private final IntConsumer stop;
  private final HttpServer server;
  private final ExecutorService threads;
  private final int port;
  private final String cookieName;
  private final byte[] loginCode;
  private final AtomicBoolean loginCodeSpent = new AtomicBoolean();
  private final CountDownLatch finishedShown = new CountDownLatch(1);
  private final byte[] session = randomToken().getBytes(StandardCharsets.US_ASCII);
  private final String loginCodeText;
  private final Set<String> hosts;
  private final Set<String> origins;

  private SearchDashboard(SearchState state, IntConsumer stop, HttpServer server, ExecutorService threads) {
    this.state = state;
    this.stop = stop;
    this.server = server;
    this.threads = threads;
    this.port = server.getAddress().getPort();
    // Cookies are shared by every port of a host: the name keeps two dashboards' sessions apart.
    this.cookieName = "stratus-dashboard-" + port;
    this.loginCodeText = randomToken();
    this.loginCode = loginCodeText.getBytes(StandardCharsets.US_ASCII);
    this.hosts = Set.of("127.0.0.1:" + port, "localhost:" + port);
    this.origins = Set.of("http://127.0.0.1:" + port, "http://localhost:" + port);
  }

  /**
   * Serves {@code state} on 127.0.0.1:{@code port} (0: any free port), stopping experiments with {@code stop}.
   *
   * @throws BindException when the port is taken, naming it
   */
  public static SearchDashboard start(SearchState state, IntConsumer stop, int port) throws IOException {
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("the dashboard's port must be 0 (any free port) to 65535, got " + port);
    }
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(loopback(), port), 16);
    } catch (BindException e) {
      BindException named = new BindException("the search dashboard cannot listen on 127.0.0.1:" + port
          + ": the port is in use (" + e.getMessage() + ")");
      named.initCause(e);
      throw named;
    }
    ExecutorService threads =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread thread = new Thread(r, "search-dashboard");
              thread.setDaemon(true);
              return thread;
            });
    SearchDashboard dashboard = new SearchDashboard(state, stop, server, threads);
    server.createContext("/", dashboard::handle);
    server.setExecutor(threads);
    server.start();
    return dashboard;
  }

  /** The address the dashboard binds: 127.0.0.1 itself, whatever the machine's name resolution says. */
  public static InetAddress loopback() throws IOException {
    return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
  }

  public int port() {
    return port;
  }

  /** The address to open, with the one-time login code: for the driver's console, never for a log. */
  public URI loginAddress() {
    return URI.create("http://127.0.0.1:" + port + "/login?code=" + loginCodeText);
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }

  /**
   * Closes the dashboard once a page has been shown the search finished (every experiment ended), waiting for that
   * at most {@code atMost}; at once if nobody ever logged in. The port is free again when this returns.
   */
  public void closeOnceShownFinished(Duration atMost) throws InterruptedException {
    try {
      if (loginCodeSpent.get()) {
        finishedShown.await(atMost.toMillis(), TimeUnit.MILLISECONDS);
      }
    } finally {
      close();
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      try {
        route(exchange);
      } catch (RuntimeException e) {
        if (exchange.getResponseCode() == -1) {
          text(exchange, 500, "the dashboard failed: " + e);
        }
        throw e;
      }
    }
  }

  private void route(HttpExchange exchange) throws IOException {
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    exchange.getResponseHeaders().set("Referrer-Policy", "no-referrer");
    String path = exchange.getRequestURI().getRawPath();
    String method = exchange.getRequestMethod();
    if (!hosts.contains(String.valueOf(exchange.getRequestHeaders().getFirst("Host")))) {
      text(exchange, 403, "this dashboard answers only to 127.0.0.1:" + port + " or localhost:" + port);
    } else if (path.equals("/login")) {
      login(exchange, method);
    } else if (!hasSession(exchange)) {
      text(exchange, 401, "not logged in: open the address with the login code the search printed at its start");
    } else if (method.equals("GET")) {
      get(exchange, path);
    } else if (method.equals("POST")) {
      post(exchange, path);
    } else {
      text(exchange, 405, method + " is not served here");
    }
  }

  private void login(HttpExchange exchange, String method) throws IOException {
    if (!method.equals("GET")) {
      text(exchange, 405, "log in with GET /login?code=...");
      return;
    }
    if (hasSession(exchange)) {
      // Logged in already (the printed address opened again): the page, not a refusal.
      exchange.getResponseHeaders().set("Location", "/");
      exchange.sendResponseHeaders(303, -1);
      return;
    }
    String query = exchange.getRequestURI().getRawQuery();
    byte[] given =
        query != null && query.startsWith("code=")
            ? query.substring("code=".length()).getBytes(StandardCharsets.US_ASCII)
            : new byte[0];
    if (!MessageDigest.isEqual(given, loginCode) || !loginCodeSpent.compareAndSet(false, true)) {
      text(exchange, 403, "this login code is wrong or was used already: each start of a search prints a new one");
      return;
    }
    exchange.getResponseHeaders().set("Set-Cookie", cookieName + "="
        + new String(session, StandardCharsets.US_ASCII) + "; Path=/; HttpOnly; SameSite=Strict");
    exchange.getResponseHeaders().set("Location", "/");
    exchange.sendResponseHeaders(303, -1);
  }

  private boolean hasSession(HttpExchange exchange) {
    List<String> headers = exchange.getRequestHeaders().get("Cookie");
    if (headers == null) {
      return false;
    }
    for (String header : headers) {
      for (String cookie : header.split(";")) {
        String[] pair = cookie.trim().split("=", 2);
        if (pair.length == 2 && pair[0].equals(cookieName)
            && MessageDigest.isEqual(pair[1].getBytes(StandardCharsets.US_ASCII), session)) {
          return true;
        }
      }
    }
    return false;
  }

  private void get(HttpExchange exchange, String path) throws IOException {
    if (path.equals("/api/search")) {
      // Asked first: an experiment may end while the JSON is made, never un-end.
      boolean finished = state.finished();
      send(exchange, 200, "application/json", state.toJson());
      if (finished) {
        finishedShown.countDown();
      }
      return;
    }
    String asset = ASSETS.get(path);
    if (asset == null) {
      text(exchange, 404, "no page " + path + " here; the dashboard is at /");
      return;
    }
    if (asset.endsWith(".html")) {
      exchange.getResponseHeaders().set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
      exchange.getResponseHeaders().set("X-Frame-Options", "DENY");
    }
    send(exchange, 200, CONTENT_TYPES.get(asset.substring(asset.lastIndexOf('.') + 1)), resource(asset));
  }

  private void post(HttpExchange exchange, String path) throws IOException {
    String origin = exchange.getRequestHeaders().getFirst("Origin");
    if (exchange.getRequestHeaders().getFirst(SCRIPT_HEADER) == null || (origin != null && !origins.contains(origin))) {
      text(exchange, 403, "a stop must come from the dashboard's own page (header " + SCRIPT_HEADER
          + ", same origin)");
      return;
    }
    Matcher one = STOP_ONE.matcher(path);
    if (one.matches()) {
      int id = Integer.parseInt(one.group(1));
      if (!state.has(id)) {
        text(exchange, 404, "the search has no experiment " + id);
        return;
      }
      stopAll(List.of(id), exchange);
    } else if (path.equals("/api/stop-all")) {
      stopAll(state.unfinished(), exchange);
    } else {
      text(exchange, 404, "no action " + path + " here");
    }
  }

  /** Stops each of {@code ids} that has not ended yet and answers which. */
  private void stopAll(List<Integer> ids, HttpExchange exchange) throws IOException {
    StringBuilder stopping = new StringBuilder();
    for (int id : ids) {
      if (state.stopRequested(id)) {
        stop.accept(id);
        stopping.append(stopping.isEmpty() ? "" : ",").append(id);
      }
    }
    send(exchange, 202, "application/json",
        ("{\"stopping\":[" + stopping + "]}").getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] resource(String name) {
    try (InputStream in = SearchDashboard.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("the dashboard's " + name + " is missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("reading the dashboard's " + name + " from the jar", e);
    }
  }

  private static void text(HttpExchange exchange, int status, String message) throws IOException {
    send(exchange, status, "text/plain; charset=utf-8", (message + "\n").getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
  }

  private static String randomToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
