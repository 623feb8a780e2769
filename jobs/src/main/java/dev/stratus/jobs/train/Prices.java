package dev.stratus.jobs.train;

import java.io.Serializable;
import java.util.List;

/**
 * What a search pays for: Lambda compute by the GB-second (each worker generation is one invocation, running for its
 * lifetime with the function's memory), Lambda requests by the million, and the parameter-server VMs by the hour.
 *
 * @param perGbSecond dollars per GB-second of Lambda compute
 * @param perMillionRequests dollars per million Lambda requests
 * @param psShardPerHour dollars per hour of one parameter-server shard's VM
 */
public record Prices(double perGbSecond, double perMillionRequests, double psShardPerHour) implements Serializable {
  /** AWS's published x86 Lambda prices (us-east-1), and no charge for the shards' VMs until one is given. */
  public static final Prices AWS_LAMBDA_X86 = new Prices(0.0000166667, 0.20, 0.0);

  public Prices {
    if (!(perGbSecond >= 0) || !(perMillionRequests >= 0) || !(psShardPerHour >= 0)) {
      throw new IllegalArgumentException("prices must be 0 or more, got " + perGbSecond + " per GB-s, "
          + perMillionRequests + " per million requests, " + psShardPerHour + " per shard-hour");
    }
  }

  /** GB-seconds the worker generations of {@code result} ran for, each with the memory it was launched with. */
  public static double gbSeconds(TrainResult result) {
    return gbSeconds(result.generations());
  }

  /** GB-seconds {@code generations} ran for, each with the memory it was launched with. */
  public static double gbSeconds(List<GenerationRecord> generations) {
    double gbSeconds = 0;
    for (GenerationRecord generation : generations) {
      gbSeconds += (generation.endedAt() - generation.launchedAt()) * generation.memoryMb() / 1024.0;
    }
    return gbSeconds;
  }

  public double lambda(double gbSeconds, long requests) {
    return gbSeconds * perGbSecond + requests * perMillionRequests / 1e6;
  }

  public double shards(int shards, double seconds) {
    return shards * seconds / 3600.0 * psShardPerHour;
  }
}
