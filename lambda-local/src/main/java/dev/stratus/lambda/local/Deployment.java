package dev.stratus.lambda.local;

import java.time.Instant;
import java.util.Map;

/**
 * One version of a function's code and configuration. Environments are built from a deployment and retired when
 * the function gets a newer one, as Lambda replaces its environments after an update.
 */
record Deployment(String name, String handler, FunctionCode code, int memoryMb, int timeoutSeconds,
    Map<String, String> environment, String role, String runtime, long revision, Instant lastModified) {

  Deployment {
    environment = Map.copyOf(environment);
  }

  static Deployment of(FunctionSpec spec, long revision) {
    return new Deployment(spec.name(), spec.handler(), new FunctionCode.Classpath(spec.classpath()),
        spec.memoryMb(), spec.timeoutSeconds(), spec.environment(), "", "java17", revision, Instant.now());
  }

  Deployment withCode(FunctionCode newCode, long newRevision) {
    return new Deployment(name, handler, newCode, memoryMb, timeoutSeconds, environment, role, runtime, newRevision,
        Instant.now());
  }

  Deployment withConfiguration(String newHandler, int newMemoryMb, int newTimeoutSeconds,
      Map<String, String> newEnvironment, String newRole, String newRuntime, long newRevision) {
    return new Deployment(name, newHandler, code, newMemoryMb, newTimeoutSeconds, newEnvironment, newRole,
        newRuntime, newRevision, Instant.now());
  }

  /** The class part of {@code pkg.Class::method}. */
  String handlerClass() {
    int separator = handler.indexOf("::");
    return separator < 0 ? handler : handler.substring(0, separator);
  }
}
