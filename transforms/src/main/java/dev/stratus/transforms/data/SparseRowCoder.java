package dev.stratus.transforms.data;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Collections;
import java.util.List;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.util.VarInt;

/** Beam coder for {@link SparseRow}: label, count, delta-coded varint indices, raw float values. */
public final class SparseRowCoder extends AtomicCoder<SparseRow> {
  private static final SparseRowCoder INSTANCE = new SparseRowCoder();

  public static SparseRowCoder of() {
    return INSTANCE;
  }

  private SparseRowCoder() {}

  @Override
  public void encode(SparseRow row, OutputStream out) throws IOException {
    DataOutputStream data = new DataOutputStream(out);
    data.writeFloat(row.label());
    int[] indices = row.indices();
    VarInt.encode(indices.length, out);
    int previous = 0;
    for (int index : indices) {
      VarInt.encode(index - previous, out);
      previous = index;
    }
    for (float v : row.values()) {
      data.writeFloat(v);
    }
    data.flush();
  }

  @Override
  public SparseRow decode(InputStream in) throws IOException {
    DataInputStream data = new DataInputStream(in);
    float label = data.readFloat();
    int n = VarInt.decodeInt(in);
    if (n < 0) {
      throw new CoderException("negative feature count " + n);
    }
    int[] indices = new int[n];
    int previous = 0;
    for (int i = 0; i < n; i++) {
      previous += VarInt.decodeInt(in);
      indices[i] = previous;
    }
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = data.readFloat();
    }
    return new SparseRow(label, indices, values);
  }

  @Override
  public List<? extends org.apache.beam.sdk.coders.Coder<?>> getCoderArguments() {
    return Collections.emptyList();
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }
}
