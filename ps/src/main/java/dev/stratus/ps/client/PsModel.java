package dev.stratus.ps.client;

import dev.stratus.ps.ModelSpec;
import java.util.Arrays;

/**
 * A handle on a model that {@link PsClient#createModel} created or found: its spec, the row range each shard holds
 * and the id each shard gave it. Valid only with the client (or an identically configured one) that made it.
 */
public final class PsModel {
  private final String name;
  private final ModelSpec spec;
  private final int[] shardModelIds;
  private final int[] rowBounds; // shard i holds rows [rowBounds[i], rowBounds[i + 1])

  PsModel(String name, ModelSpec spec, int[] shardModelIds, int[] rowBounds) {
    this.name = name;
    this.spec = spec;
    this.shardModelIds = shardModelIds;
    this.rowBounds = rowBounds;
  }

  public String name() {
    return name;
  }

  public ModelSpec spec() {
    return spec;
  }

  /** The id each shard gave the model, for {@link PsClient#model} in another client. */
  public int[] shardIds() {
    return shardModelIds.clone();
  }

  int shardModelId(int shard) {
    return shardModelIds[shard];
  }

  int rowStart(int shard) {
    return rowBounds[shard];
  }

  int rowEnd(int shard) {
    return rowBounds[shard + 1];
  }

  /** Rows split evenly by range: shard i of n holds {@code [rows*i/n, rows*(i+1)/n)}. */
  static int[] rowBounds(int rows, int shards) {
    int[] bounds = new int[shards + 1];
    for (int i = 0; i <= shards; i++) {
      bounds[i] = (int) ((long) rows * i / shards);
    }
    return bounds;
  }

  @Override
  public String toString() {
    return "PsModel[" + name + ", " + spec + ", shard rows " + Arrays.toString(rowBounds) + "]";
  }
}
