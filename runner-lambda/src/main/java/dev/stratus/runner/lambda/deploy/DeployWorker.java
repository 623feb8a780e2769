package dev.stratus.runner.lambda.deploy;

import dev.stratus.runner.lambda.message.WorkerFunction;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.LambdaClientBuilder;
import software.amazon.awssdk.services.lambda.model.FunctionCode;
import software.amazon.awssdk.services.lambda.model.FunctionConfiguration;
import software.amazon.awssdk.services.lambda.model.ResourceNotFoundException;
import software.amazon.awssdk.services.lambda.model.UpdateFunctionCodeRequest;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Deploys the Lambda worker: packages a classpath (by default this JVM's) into a Lambda zip with a {@code lib/}
 * layout, then creates the function or updates its code and configuration, on real AWS (default credential chain) or
 * on any Lambda-compatible endpoint. Run it from a class path that holds every entry point the workers run (the
 * pipelines module's: the runner, the DSL and its entry points):
 *
 * <pre>
 * mvn -q -pl pipelines exec:exec@deploy-worker -Djob.args="--function-name stratus-worker \
 *     --role arn:aws:iam::123456789012:role/stratus-lambda --region us-east-1 --s3-bucket my-bucket"
 * </pre>
 *
 * With {@code --memory-sizes}, it deploys the function's variants at those memory sizes as well ({@link
 * WorkerFunction#nameAt}): a Lambda function has one memory setting, and a training that chooses its workers' memory
 * invokes the variant of that size.
 */
public final class DeployWorker {
  /** Lambda takes a zip inline up to 50 MB; larger ones must come from S3. */
  static final long MAX_INLINE_ZIP_BYTES = 50L * 1024 * 1024;

  private static final String USAGE = String.join("\n",
      "usage: DeployWorker [options]",
      "  --function-name <name>   function to create or update (default stratus-worker)",
      "  --handler <handler>      handler (default: the runner's worker, " + WorkerFunction.HANDLER + ")",
      "  --memory <MB>            memory, 128..10240 (default 2048)",
      "  --memory-sizes <MB,...>  also a variant function per size, <function-name>-<MB>mb, the same code and",
      "                           settings at that memory, for LambdaRunner's --workerMemorySizesMb (default none)",
      "  --timeout <seconds>      timeout, 1..900 (default 900)",
      "  --role <arn>             execution role; required to create a function on AWS",
      "  --region <region>        default: the SDK's region chain (AWS_REGION, profile)",
      "  --endpoint <url>         a Lambda-compatible endpoint instead of AWS (the local service)",
      "  --runtime <runtime>      Lambda runtime (default java17)",
      "  --env <KEY=VALUE>        an environment variable of the function; repeatable",
      "  --s3-bucket <bucket>     upload the zip to S3 first (needed above 50 MB on AWS)",
      "  --s3-key <key>           object key for the zip (default stratus/<function-name>.zip)",
      "  --classpath <path>       what to package (default: this JVM's classpath)",
      "  --output <file.zip>      keep the zip there (default: a temporary file, deleted)");

  private DeployWorker() {}

  public static void main(String[] args) {
    try {
      FunctionConfiguration deployed = run(args);
      System.out.println("deployed " + deployed.functionArn() + " (handler " + deployed.handler() + ", "
          + deployed.memorySize() + " MB, " + deployed.timeout() + " s, code " + deployed.codeSize()
          + " bytes, sha256 " + deployed.codeSha256() + ")");
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
    }
  }

  /**
   * Parses {@code args}, packages, and creates or updates the function, then each of its variants; returns the
   * function's configuration.
   */
  public static FunctionConfiguration run(String... args) {
    return run(null, args);
  }

  /**
   * As {@link #run(String...)}, signing with {@code credentials} (null: the default chain), e.g. a {@code
   * LocalLambdaService}'s own, which it alone accepts.
   */
  public static FunctionConfiguration run(AwsCredentialsProvider credentials, String... args) {
    Options options = Options.parse(args);
    options.credentials = credentials;
    Path zip = options.output != null ? options.output : temporaryZip();
    try {
      long size = WorkerPackage.write(options.classpath, zip);
      System.out.printf(Locale.ROOT, "packaged %d classpath entries into %s (%.1f MB)%n", options.classpath.size(),
          zip, size / 1e6);
      boolean toAws = options.endpoint == null;
      if (toAws && size > MAX_INLINE_ZIP_BYTES && options.s3Bucket == null) {
        throw new IllegalArgumentException(String.format(Locale.ROOT,
            "the zip is %.1f MB; Lambda takes at most 50 MB inline: give --s3-bucket to upload it through S3",
            size / 1e6));
      }
      try (SdkHttpClient http = UrlConnectionHttpClient.builder()
              .connectionTimeout(Duration.ofSeconds(10)).socketTimeout(Duration.ofMinutes(5)).build();
          LambdaClient lambda = lambdaClient(options, http)) {
        FunctionCode code = upload(options, zip, http);
        FunctionConfiguration deployed = deploy(lambda, options, code, options.functionName, options.memoryMb);
        for (int sizeMb : options.memorySizesMb) {
          deploy(lambda, options, code, WorkerFunction.nameAt(options.functionName, sizeMb), sizeMb);
        }
        return deployed;
      }
    } finally {
      if (options.output == null) {
        delete(zip);
      }
    }
  }

  /** Creates function {@code name} with the options' code and settings at {@code memoryMb}, or updates it to them. */
  private static FunctionConfiguration deploy(LambdaClient lambda, Options options, FunctionCode code, String name,
      int memoryMb) {
    return exists(lambda, name)
        ? update(lambda, options, code, name, memoryMb)
        : create(lambda, options, code, name, memoryMb);
  }

  private static FunctionConfiguration create(LambdaClient lambda, Options options, FunctionCode code, String name,
      int memoryMb) {
    if (options.role == null && options.endpoint == null) {
      throw new IllegalArgumentException("creating " + name + " on AWS needs --role <arn>");
    }
    lambda.createFunction(request -> request
        .functionName(name)
        .handler(options.handler)
        .runtime(options.runtime)
        .role(options.role)
        .memorySize(memoryMb)
        .timeout(options.timeoutSeconds)
        .environment(environment -> environment.variables(options.environment))
        .code(code));
    lambda.waiter().waitUntilFunctionActiveV2(request -> request.functionName(name));
    System.out.println("created " + name + " (" + memoryMb + " MB)");
    return configuration(lambda, name);
  }

  /** New code first, then the configuration, each once the function has finished its previous update. */
  private static FunctionConfiguration update(LambdaClient lambda, Options options, FunctionCode code, String name,
      int memoryMb) {
    UpdateFunctionCodeRequest.Builder request = UpdateFunctionCodeRequest.builder().functionName(name);
    if (code.zipFile() != null) {
      request.zipFile(code.zipFile());
    } else {
      request.s3Bucket(code.s3Bucket()).s3Key(code.s3Key());
    }
    awaitUpdated(lambda, name);
    lambda.updateFunctionCode(request.build());
    awaitUpdated(lambda, name);
    lambda.updateFunctionConfiguration(configuration -> {
      configuration.functionName(name)
          .handler(options.handler)
          .runtime(options.runtime)
          .memorySize(memoryMb)
          .timeout(options.timeoutSeconds)
          .environment(environment -> environment.variables(options.environment));
      if (options.role != null) {
        configuration.role(options.role);
      }
    });
    awaitUpdated(lambda, name);
    System.out.println("updated " + name + " (" + memoryMb + " MB)");
    return configuration(lambda, name);
  }

  private static void awaitUpdated(LambdaClient lambda, String functionName) {
    lambda.waiter().waitUntilFunctionUpdatedV2(request -> request.functionName(functionName));
  }

  private static FunctionConfiguration configuration(LambdaClient lambda, String functionName) {
    return lambda.getFunction(request -> request.functionName(functionName)).configuration();
  }

  private static boolean exists(LambdaClient lambda, String functionName) {
    try {
      lambda.getFunction(request -> request.functionName(functionName));
      return true;
    } catch (ResourceNotFoundException e) {
      return false;
    }
  }

  /** The code as Lambda will take it: inline, or from S3 after uploading it there. */
  private static FunctionCode upload(Options options, Path zip, SdkHttpClient http) {
    if (options.s3Bucket == null) {
      try {
        return FunctionCode.builder().zipFile(SdkBytes.fromByteArray(Files.readAllBytes(zip))).build();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    try (S3Client s3 = S3Client.builder().region(region(options)).credentialsProvider(credentials(options))
        .httpClient(http).build()) {
      s3.putObject(request -> request.bucket(options.s3Bucket).key(options.s3Key), RequestBody.fromFile(zip));
    }
    System.out.println("uploaded the zip to s3://" + options.s3Bucket + "/" + options.s3Key);
    return FunctionCode.builder().s3Bucket(options.s3Bucket).s3Key(options.s3Key).build();
  }

  private static LambdaClient lambdaClient(Options options, SdkHttpClient http) {
    LambdaClientBuilder builder = LambdaClient.builder()
        .region(region(options))
        .credentialsProvider(credentials(options))
        .httpClient(http);
    if (options.endpoint != null) {
      builder.endpointOverride(options.endpoint);
    }
    return builder.build();
  }

  private static Region region(Options options) {
    if (options.region != null) {
      return Region.of(options.region);
    }
    try {
      return new DefaultAwsRegionProviderChain().getRegion();
    } catch (SdkClientException e) {
      if (options.endpoint != null) {
        return Region.US_EAST_1;
      }
      throw new IllegalArgumentException("no AWS region configured: give --region", e);
    }
  }

  /**
   * The credentials given to {@link #run(AwsCredentialsProvider, String...)}, else the default chain; for an explicit
   * endpoint without any credentials configured, placeholders, for Lambda-compatible services that do not check
   * signatures (the local Lambda service does).
   */
  private static AwsCredentialsProvider credentials(Options options) {
    if (options.credentials != null) {
      return options.credentials;
    }
    DefaultCredentialsProvider chain = DefaultCredentialsProvider.builder().build();
    if (options.endpoint == null) {
      return chain;
    }
    try {
      chain.resolveCredentials();
      return chain;
    } catch (SdkClientException e) {
      return StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"));
    }
  }

  private static Path temporaryZip() {
    try {
      return Files.createTempFile("stratus-worker-", ".zip");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void delete(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      System.err.println("cannot delete " + file + ": " + e.getMessage());
    }
  }

  /** The command line, checked before anything is packaged or sent. */
  static final class Options {
    String functionName = "stratus-worker";
    String handler = WorkerFunction.HANDLER;
    int memoryMb = 2048;
    /** The variants' sizes, {@link #memoryMb} left out: the function itself is at that size. */
    List<Integer> memorySizesMb = List.of();
    int timeoutSeconds = 900;
    String role;
    String region;
    URI endpoint;
    String runtime = "java17";
    final Map<String, String> environment = new LinkedHashMap<>();
    String s3Bucket;
    String s3Key;
    /** Set by {@link #run(AwsCredentialsProvider, String...)}, not by the command line. */
    AwsCredentialsProvider credentials;
    List<Path> classpath = splitClasspath(System.getProperty("java.class.path"));
    Path output;

    static Options parse(String... args) {
      Options options = new Options();
      for (int i = 0; i < args.length; i += 2) {
        String name = args[i];
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(name + " needs a value");
        }
        String value = args[i + 1];
        switch (name) {
          case "--function-name" -> options.functionName = value;
          case "--handler" -> options.handler = value;
          case "--memory" -> options.memoryMb = number(name, value, 128, 10_240);
          case "--memory-sizes" -> options.memorySizesMb = Arrays.stream(value.split(","))
              .map(size -> number(name, size.trim(), 128, 10_240)).toList();
          case "--timeout" -> options.timeoutSeconds = number(name, value, 1, 900);
          case "--role" -> options.role = value;
          case "--region" -> options.region = value;
          case "--endpoint" -> options.endpoint = URI.create(value);
          case "--runtime" -> options.runtime = value;
          case "--env" -> {
            int equals = value.indexOf('=');
            if (equals <= 0) {
              throw new IllegalArgumentException("--env takes KEY=VALUE, not " + value);
            }
            options.environment.put(value.substring(0, equals), value.substring(equals + 1));
          }
          case "--s3-bucket" -> options.s3Bucket = value;
          case "--s3-key" -> options.s3Key = value;
          case "--classpath" -> options.classpath = splitClasspath(value);
          case "--output" -> options.output = Path.of(value);
          default -> throw new IllegalArgumentException("unknown option " + name);
        }
      }
      options.memorySizesMb = options.memorySizesMb.stream().filter(size -> size != options.memoryMb).distinct()
          .toList();
      // A variant's name Lambda would not take is refused before anything is packaged or sent.
      options.memorySizesMb.forEach(size -> WorkerFunction.nameAt(options.functionName, size));
      if (options.s3Key == null) {
        options.s3Key = "stratus/" + options.functionName + ".zip";
      }
      if (options.classpath.isEmpty()) {
        throw new IllegalArgumentException("nothing to package: the classpath is empty");
      }
      return options;
    }

    private static int number(String name, String value, int min, int max) {
      try {
        int number = Integer.parseInt(value);
        if (number < min || number > max) {
          throw new IllegalArgumentException(name + " must be " + min + " to " + max + ", not " + value);
        }
        return number;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(name + " takes a number, not " + value, e);
      }
    }

    private static List<Path> splitClasspath(String classpath) {
      List<Path> entries = new ArrayList<>();
      Arrays.stream(classpath.split(File.pathSeparator)).filter(entry -> !entry.isBlank())
          .map(Path::of).forEach(entries::add);
      return entries;
    }
  }
}
