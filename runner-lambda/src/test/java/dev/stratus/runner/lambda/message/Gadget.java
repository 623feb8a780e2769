package dev.stratus.runner.lambda.message;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.util.HashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.util.SerializableUtils;

/**
 * The shape of a deserialization gadget: a serializable class whose {@code readObject} runs code. Any reader that
 * Java-deserializes what a peer sends runs it; {@link #READS} counts how often that happened.
 */
public final class Gadget implements Serializable {
  private static final long serialVersionUID = 1L;
  public static final AtomicInteger READS = new AtomicInteger();

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    READS.incrementAndGet();
  }

  /** A Java-serialized map holding a gadget, as an attacker would send it. */
  public static byte[] serializedInAMap() {
    HashMap<String, Object> map = new HashMap<>();
    map.put("payload", new Gadget());
    return SerializableUtils.serializeToByteArray(map);
  }
}
