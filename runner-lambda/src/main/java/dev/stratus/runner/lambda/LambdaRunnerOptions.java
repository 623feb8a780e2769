package dev.stratus.runner.lambda;

import dev.stratus.spi.StoreOptions;
import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.List;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Hidden;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * Options of {@link LambdaRunner}. With none set, the pipeline runs on the embedded local Lambda service (worker
 * environments as separate JVMs) and the embedded object store over {@code --dataDir}.
 */
public interface LambdaRunnerOptions extends StoreOptions {
  /** The value of {@code --lambdaEndpoint} that means AWS Lambda itself. */
  String AWS = "aws";

  @Description("Name of the worker Lambda function (deployed with the deploy command when on AWS)")
  @Default.String("stratus-worker")
  String getFunctionName();

  void setFunctionName(String name);

  @Description("Region of the Lambda service")
  @Default.String("us-east-1")
  String getLambdaRegion();

  void setLambdaRegion(String region);

  @Description("Lambda endpoint: empty starts the embedded local Lambda service, 'aws' uses AWS Lambda, anything else"
      + " is an http(s) URL of a Lambda-compatible service")
  @Default.String("")
  String getLambdaEndpoint();

  void setLambdaEndpoint(String endpoint);

  /**
   * Credentials to sign requests to {@code --lambdaEndpoint} with, e.g. a {@code LocalLambdaService}'s own; null:
   * the AWS SDK's default chain. Set in code only: it is never serialized, so it reaches no worker and no stored
   * object.
   */
  @Description("Credentials for --lambdaEndpoint (set in code; default: the AWS SDK's default credential chain)")
  @JsonIgnore
  @Hidden
  AwsCredentialsProvider getLambdaCredentials();

  void setLambdaCredentials(AwsCredentialsProvider credentials);

  @Description("Memory of each worker in MB (local service: its heap limit)")
  @Default.Integer(1024)
  int getWorkerMemoryMb();

  void setWorkerMemoryMb(int memoryMb);

  /**
   * Default: {@code 2048,3008} on the embedded local service (empty {@code --lambdaEndpoint}), none for any endpoint,
   * where the variant functions must be deployed before a run.
   */
  @Description("More memory sizes, in MB, the worker function is offered at for trainings to choose from, each a"
      + " variant function named <functionName>-<MB>mb (e.g. stratus-worker-3008mb); on the embedded local service"
      + " they are registered automatically, elsewhere deploy them with DeployWorker --memory-sizes (default: 2048,3008"
      + " on the embedded local service, none for any --lambdaEndpoint)")
  @Default.InstanceFactory(WorkerMemorySizes.class)
  List<Integer> getWorkerMemorySizesMb();

  void setWorkerMemorySizesMb(List<Integer> sizesMb);

  @Description("Time limit of one task attempt in seconds (the function's timeout on the local service)")
  @Default.Integer(300)
  int getTaskTimeoutSeconds();

  void setTaskTimeoutSeconds(int seconds);

  /**
   * Default: the machine's cores when the Lambda service runs on it (the embedded local service, or an endpoint on
   * loopback), since every environment then shares those cores and more of them only add cold starts and contention
   * (measured by the load-normalize benchmark); {@value TaskConcurrency#REMOTE} for a remote service.
   */
  @Description("Most task attempts running at once (default: this machine's cores when the Lambda service runs on it,"
      + " " + TaskConcurrency.REMOTE + " for a remote one)")
  @Default.InstanceFactory(TaskConcurrency.class)
  int getMaxConcurrency();

  void setMaxConcurrency(int tasks);

  @Description("Attempts per task before the pipeline fails (throttled calls do not count)")
  @Default.Integer(3)
  int getMaxAttempts();

  void setMaxAttempts(int attempts);

  @Description("Wait after a first failed attempt, in milliseconds; it doubles with each further failure")
  @Default.Integer(200)
  int getRetryBackoffMillis();

  void setRetryBackoffMillis(int millis);

  /** Hash partitions of a GroupByKey whose reduce tasks are sized by the data. */
  int DATA_SIZED_SHUFFLE_PARTITIONS = 64;

  @Description("Hash partitions, one reduce task each, of every GroupByKey; 0 (the default) hashes into "
      + DATA_SIZED_SHUFFLE_PARTITIONS + " and groups them into reduce tasks of about --bundleSizeMb of map output")
  @Default.Integer(0)
  int getShufflePartitions();

  void setShufflePartitions(int partitions);

  @Description("Bytes one task reads, in MB: larger sources are split, and a shuffle's partitions are grouped into"
      + " reduce tasks of about this size (see --shufflePartitions)")
  @Default.Integer(64)
  int getBundleSizeMb();

  void setBundleSizeMb(int megabytes);

  @Description("How the local Lambda service runs worker environments: PROCESS (a JVM each, with the AWS runtime"
      + " interface client, as on Lambda) or IN_PROCESS (threads of the driver's JVM, for fast test suites)")
  @Default.Enum("PROCESS")
  LocalEnvironmentMode getLocalEnvironmentMode();

  void setLocalEnvironmentMode(LocalEnvironmentMode mode);

  @Description("Whether the local Lambda service's process environments start from a class-data archive of the"
      + " worker's classes, recorded by the first environment of the same classes on this host (as Lambda SnapStart"
      + " starts from a snapshot): a cold start then loads and verifies far fewer classes. false: each environment"
      + " loads all its classes itself")
  @Default.Boolean(true)
  boolean getLocalClassData();

  void setLocalClassData(boolean classData);

  @Description("Keep the run's stage plans and the committed attempts' intermediate data in the store after the run")
  @Default.Boolean(false)
  boolean getKeepIntermediateData();

  void setKeepIntermediateData(boolean keep);

  enum LocalEnvironmentMode {
    PROCESS,
    IN_PROCESS
  }
}
