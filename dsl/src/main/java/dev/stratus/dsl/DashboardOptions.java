package dev.stratus.dsl;

import dev.stratus.jobs.dashboard.SearchDashboard;
import dev.stratus.jobs.search.SearchState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.ServerSocket;
import java.util.List;
import java.util.function.IntConsumer;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsRegistrar;

/**
 * The web dashboard of a hyperparameter search ({@link GridSearch}, {@link RandomSearch}): on by default, served by
 * the driver on 127.0.0.1 while the search runs, at an address with a one-time login code printed at the search's
 * start. A port given and taken is refused while the pipeline is built, before any work.
 */
public interface DashboardOptions extends PipelineOptions {
  @Description("Serve a search's dashboard on 127.0.0.1 while it runs (live loss curves, stop buttons); its address,"
      + " with a one-time login code, is printed when the search starts")
  @Default.Boolean(true)
  boolean getDashboard();

  void setDashboard(boolean on);

  @Description("Port of the search dashboard on 127.0.0.1; 0: any free port")
  @Default.Integer(0)
  int getDashboardPort();

  void setDashboardPort(int port);

  /**
   * Makes --dashboard and --dashboardPort known to every pipeline that has this module (listed in {@code
   * META-INF/services}).
   */
  final class Registrar implements PipelineOptionsRegistrar {
    @Override
    public Iterable<Class<? extends PipelineOptions>> getPipelineOptions() {
      return List.of(DashboardOptions.class);
    }
  }

  /**
   * Refuses a dashboard port out of range, or given and in use now, naming {@code transform} and the option: checked
   * as the search is applied, so a taken port fails the pipeline before any work.
   */
  static void checkPort(PipelineOptions options, String transform) {
    DashboardOptions dashboard = options.as(DashboardOptions.class);
    if (!dashboard.getDashboard()) {
      return;
    }
    int port = dashboard.getDashboardPort();
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException(
          transform + ": --dashboardPort must be 0 (any free port) to 65535, got " + port);
    }
    if (port == 0) {
      return;
    }
    try (ServerSocket probe = new ServerSocket(port, 1, SearchDashboard.loopback())) {
      // Free now; the search binds it when it starts.
    } catch (BindException e) {
      throw new IllegalArgumentException(portInUse(transform, port), e);
    } catch (IOException e) {
      throw new UncheckedIOException(transform + ": cannot check the dashboard's port 127.0.0.1:" + port, e);
    }
  }

  /**
   * Serves {@code state} as {@code options} say and prints its address (with the login code) on the console; null
   * when the dashboard is off.
   */
  static SearchDashboard start(PipelineOptions options, String transform, SearchState state, IntConsumer stop) {
    DashboardOptions dashboard = options.as(DashboardOptions.class);
    if (!dashboard.getDashboard()) {
      return null;
    }
    SearchDashboard started;
    try {
      started = SearchDashboard.start(state, stop, dashboard.getDashboardPort());
    } catch (BindException e) {
      throw new IllegalArgumentException(portInUse(transform, dashboard.getDashboardPort()), e);
    } catch (IOException e) {
      throw new UncheckedIOException(transform + ": the dashboard could not start", e);
    }
    // The console, not a log: the code logs one browser in, once.
    System.out.printf("%s: dashboard at %s (the login code in it works once)%n", transform, started.loginAddress());
    return started;
  }

  private static String portInUse(String transform, int port) {
    return transform + ": the dashboard's port 127.0.0.1:" + port + " (--dashboardPort) is in use; choose another, 0"
        + " for any free port, or turn the dashboard off with --dashboard=false";
  }
}
