package dev.stratus.runner.lambda.local;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * How an invocation ended. A function error carries Lambda's {@code {errorMessage, errorType, stackTrace}} body,
 * either as the runtime posted it or, for errors of the platform (timeout, exit), made here.
 *
 * @param status what the REPORT log line says beyond success: null, "error" or "timeout"
 */
record Outcome(byte[] payload, boolean functionError, String errorType, String status) {

  static Outcome success(byte[] payload) {
    return new Outcome(payload, false, null, null);
  }

  /** An error the function's runtime reported, body passed through as Lambda does. */
  static Outcome reported(byte[] body, String errorType) {
    return new Outcome(body, true, errorType, null);
  }

  /** An error of the platform around the function (Lambda's {@code Sandbox.Timedout}, {@code Runtime.ExitError}…). */
  static Outcome platform(String errorType, String message, String status) {
    ObjectNode body = Json.MAPPER.createObjectNode().put("errorType", errorType).put("errorMessage", message);
    return new Outcome(Json.bytes(body), true, errorType, status);
  }
}
