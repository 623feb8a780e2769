package dev.stratus.lambda.local;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.io.InputStream;
import java.io.OutputStream;

/** A handler whose constructor fails: the runtime reports an init error and exits. */
public final class BrokenHandler implements RequestStreamHandler {
  public BrokenHandler() {
    throw new IllegalStateException("configuration missing");
  }

  @Override
  public void handleRequest(InputStream input, OutputStream output, Context context) {
    throw new AssertionError("never constructed");
  }
}
