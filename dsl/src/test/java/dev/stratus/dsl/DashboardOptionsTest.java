package dev.stratus.dsl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.jobs.dashboard.SearchDashboard;
import java.net.ServerSocket;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/** The dashboard's options: known to every pipeline, and a bad or taken port refused before any work. */
class DashboardOptionsTest {
  private static GridSearch search(Pipeline p) {
    return GridSearch.of(
            LogisticRegression.withValidationSet(p.apply("Validation", ReadDataset.from("s3://tests/none/validation"))))
        .vary("learningRate", 0.1, 0.2);
  }

  @Test
  void aTakenPortIsRefusedWhenTheSearchIsAppliedBeforeAnyWork() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, SearchDashboard.loopback())) {
      int port = taken.getLocalPort();
      Pipeline p = DataTesting.pipeline("--dashboardPort=" + port);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> p.apply("Train", ReadDataset.from("s3://tests/none/train")).apply(search(p)));
      assertEquals("GridSearch: the dashboard's port 127.0.0.1:" + port + " (--dashboardPort) is in use; choose"
          + " another, 0 for any free port, or turn the dashboard off with --dashboard=false", e.getMessage());
    }
  }

  @Test
  void aPortOutOfRangeIsRefusedAndATakenOneIsNoMatterWithTheDashboardOff() throws Exception {
    Pipeline outOfRange = DataTesting.pipeline("--dashboardPort=70000");
    assertEquals("GridSearch: --dashboardPort must be 0 (any free port) to 65535, got 70000",
        assertThrows(IllegalArgumentException.class,
            () -> outOfRange.apply("Train", ReadDataset.from("s3://tests/none/train")).apply(search(outOfRange)))
            .getMessage());
    try (ServerSocket taken = new ServerSocket(0, 1, SearchDashboard.loopback())) {
      Pipeline off = DataTesting.pipeline("--dashboard=false", "--dashboardPort=" + taken.getLocalPort());
      off.apply("Train", ReadDataset.from("s3://tests/none/train")).apply(search(off));
    }
  }

  @Test
  void theOptionsAreKnownWithoutRegisteringThemAndOnByDefault() {
    DashboardOptions defaults = PipelineOptionsFactory.fromArgs().withValidation().as(DashboardOptions.class);
    assertTrue(defaults.getDashboard());
    assertEquals(0, defaults.getDashboardPort());
    DashboardOptions given = PipelineOptionsFactory.fromArgs("--dashboard=false", "--dashboardPort=8765")
        .withValidation().create().as(DashboardOptions.class);
    assertFalse(given.getDashboard());
    assertEquals(8765, given.getDashboardPort());
  }
}
