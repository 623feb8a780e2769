package dev.stratus.kernels.solve;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.generate.PlantedData;
import dev.stratus.kernels.sgd.LinearLoss;
import dev.stratus.kernels.sgd.LinearObjective;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A pass of AdaGrad over held partitions, the start of a quasi-Newton solve, is a binary model's: its steps against a
 * shard's are in the jobs module's {@code GradientRoundsTest}, where the shards are.
 */
class HeldPartitionsTest {
  @Test
  void aPassOfSgdRefusesAMultinomialModel() {
    PlantedData data = new PlantedData(200, 100, 10, 5);
    HeldPartitions held =
        new HeldPartitions(Map.of(0, FullBatch.of(data.train.toArray(new SparseRow[0]), data.features)));
    LinearObjective multinomial = new LinearObjective(LinearLoss.MULTINOMIAL, 3);
    int[] one = {0};
    float[] weights = new float[held.keys(one).length * 3];
    IllegalArgumentException refused =
        assertThrows(IllegalArgumentException.class, () -> held.adagradPass(one, multinomial, 0.1f, 0, weights));
    assertTrue(refused.getMessage().contains("binary model"), refused.getMessage());
  }
}
