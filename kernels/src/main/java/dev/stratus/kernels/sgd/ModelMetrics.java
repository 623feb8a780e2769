package dev.stratus.kernels.sgd;

import java.io.Serializable;

/** How well a trained model scores a set of rows: a classifier's ({@link ClassifierMetrics}) or a regression's. */
public sealed interface ModelMetrics extends Serializable permits ClassifierMetrics, RegressionMetrics {
  /** Rows scored. */
  long count();

  /** The mean of the model's own loss: what training descends and the monitor watches. */
  double loss();

  /** The figure a console line shows beside the loss: "AUC 0.9212", "accuracy 0.8990", "RMSE 0.3120". */
  String headline();
}
