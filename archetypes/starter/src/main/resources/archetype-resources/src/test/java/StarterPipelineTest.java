package ${package};

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.sgd.ClassifierMetrics;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StarterPipelineTest {
  @TempDir Path dir;

  @Test
  void learnsTheGeneratedModelOnTheDirectRunner() {
    ClassifierMetrics m = StarterPipeline.run("--dataDir=" + dir, "--rows=4000", "--epochs=2");
    assertEquals(400, m.count(), 80); // the test half of the 20% held out
    assertTrue(m.auc() > 0.75, "AUC " + m.auc());
    assertTrue(m.loss() < Math.log(2), "no better than a coin: " + m);
  }
}
