package dev.stratus.lambda.local;

/** An error of Lambda's API, answered with its HTTP status and its {@code X-Amzn-ErrorType}. */
final class ApiException extends RuntimeException {
  final int status;
  final String errorType;
  /** Lambda's {@code Reason} field, set for throttling. */
  final String reason;

  private ApiException(int status, String errorType, String message, String reason) {
    super(message);
    this.status = status;
    this.errorType = errorType;
    this.reason = reason;
  }

  static ApiException notFound(String message) {
    return new ApiException(404, "ResourceNotFoundException", message, null);
  }

  static ApiException conflict(String message) {
    return new ApiException(409, "ResourceConflictException", message, null);
  }

  static ApiException invalidParameter(String message) {
    return new ApiException(400, "InvalidParameterValueException", message, null);
  }

  /** A request that is not signed with the service's credentials; Lambda's own error types say why. */
  static ApiException forbidden(String errorType, String message) {
    return new ApiException(403, errorType, message, null);
  }

  static ApiException tooLarge(String message) {
    return new ApiException(413, "RequestTooLargeException", message, null);
  }

  static ApiException throttled() {
    return new ApiException(429, "TooManyRequestsException", "Rate Exceeded.",
        "ConcurrentInvocationLimitExceeded");
  }

  static ApiException unknownOperation(String method, String path) {
    return new ApiException(404, "UnknownOperationException", "no operation " + method + " " + path, null);
  }
}
