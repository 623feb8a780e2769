package dev.stratus.kernels.dataset;

/** A dataset that cannot be read as asked: missing manifest, corrupt or altered partition, wrong format version. */
public class DatasetException extends RuntimeException {
  public DatasetException(String message) {
    super(message);
  }

  public DatasetException(String message, Throwable cause) {
    super(message, cause);
  }
}
