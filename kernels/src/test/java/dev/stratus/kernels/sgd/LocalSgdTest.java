package dev.stratus.kernels.sgd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratus.kernels.data.SparseRow;
import dev.stratus.kernels.generate.PlantedData;
import dev.stratus.kernels.reference.Liblinear;
import dev.stratus.ps.Optimizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LocalSgdTest {
  private static final PlantedData DATA = new PlantedData(2_000, 30_000, 10_000, 11);

  @ParameterizedTest
  @EnumSource(Optimizer.class)
  void everyOptimizerLearnsThePlantedModel(Optimizer optimizer) {
    SparseRow[] train = DATA.train.toArray(new SparseRow[0]);
    LocalSgd sgd = new LocalSgd(DATA.features, optimizer, optimizer == Optimizer.ADAGRAD ? 0.05f : 0.1f, 0, 0.5f);
    double first = sgd.epoch(train, 10);
    double later = 0;
    for (int e = 0; e < 4; e++) {
      later = sgd.epoch(train, 10);
    }
    double testLoss = sgd.model().evaluate(DATA.test.toArray(new SparseRow[0])).loss();
    assertTrue(later < first, optimizer + ": training loss went from " + first + " to " + later);
    assertTrue(testLoss < 0.5, optimizer + ": test logloss " + testLoss);
  }

  @Test
  void adagradComesWithinTwoPercentOfTheExactOptimum() throws Exception {
    SparseRow[] train = DATA.train.toArray(new SparseRow[0]);
    LocalSgd sgd = new LocalSgd(DATA.features, Optimizer.ADAGRAD, 0.3f, 0, 0);
    for (int e = 0; e < 4; e++) {
      sgd.epoch(train, 1);
    }
    double ours = sgd.model().evaluate(DATA.test.toArray(new SparseRow[0])).loss();
    double optimum = Liblinear.bestOf(DATA.train, DATA.test, 0.1, 1, 10).test().loss();
    assertTrue(ours <= optimum * 1.02, "ours " + ours + " vs liblinear " + optimum);
  }
}
