package dev.stratus.kernels.sgd;

import dev.stratus.kernels.data.SparseRow;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A model a training keeps: what the driver scores on the validation set while it trains, and writes to the store
 * when it stops. Each kind writes its own form, told apart by its first four bytes.
 */
public sealed interface TrainedModel extends Serializable permits LinearModel, FactorModel {
  /** The mean of the model's own loss on {@code rows}, and nothing else. */
  double meanLoss(SparseRow[] rows);

  /** The model's loss and the figures of its kind on {@code rows}. */
  ModelMetrics evaluate(SparseRow[] rows);

  byte[] toBytes();

  /** The model {@link #toBytes} wrote, of whichever kind; {@code source} names the object in errors. */
  static TrainedModel fromBytes(byte[] bytes, String source) {
    int magic = bytes.length < 4 ? 0 : ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt();
    return magic == FactorModel.MAGIC ? FactorModel.fromBytes(bytes, source) : LinearModel.fromBytes(bytes, source);
  }
}
