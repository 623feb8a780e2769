package dev.stratus.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where a benchmark runs LambdaRunner ({@code --topology}): {@link #LOOPBACK}, every part embedded on this machine's
 * loopback as LambdaRunner's defaults have it, or {@link #CLOUD}, the paper's deployment imitated by {@link CloudRun}:
 * the store, the parameter-server shards and the Lambda service each in a network namespace of its own, behind S3's
 * first-byte delay and bandwidth and a datacenter's round trip.
 */
public enum Topology {
  LOOPBACK,
  CLOUD;

  /** {@code --topology}'s value: {@code loopback}, {@code cloud}, or both, comma-separated, measured in that order. */
  public static List<Topology> parse(String value) {
    List<Topology> topologies = new ArrayList<>();
    for (String name : value.split(",")) {
      try {
        Topology topology = valueOf(name.trim().toUpperCase(Locale.ROOT));
        if (!topologies.contains(topology)) {
          topologies.add(topology);
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--topology takes loopback, cloud or loopback,cloud; got '" + value + "'");
      }
    }
    return topologies;
  }

  /** What a table's row calls it. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
