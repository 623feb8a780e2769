package dev.stratus.lambda.local;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * How an invocation ended. A function error carries Lambda's {@code {errorMessage, errorType, stackTrace}} body,
 * either as the runtime posted it or, for errors of the platform (timeout, exit), made here.
 *
 * @param status what the REPORT log line says beyond success: null, "error" or "timeout"
 */
record CallOutcome(byte[] payload, boolean functionError, String errorType, String status) {

  static CallOutcome success(byte[] payload) {
    return new CallOutcome(payload, false, null, null);
  }

  /** An error the function's runtime reported, body passed through as Lambda does. */
  static CallOutcome reported(byte[] body, String errorType) {
    return new CallOutcome(body, true, errorType, null);
  }

  /** An error of the platform around the function (Lambda's {@code Sandbox.Timedout}, {@code Runtime.ExitError}…). */
  static CallOutcome platform(String errorType, String message, String status) {
    ObjectNode body = Json.MAPPER.createObjectNode().put("errorType", errorType).put("errorMessage", message);
    return new CallOutcome(Json.bytes(body), true, errorType, status);
  }
}
