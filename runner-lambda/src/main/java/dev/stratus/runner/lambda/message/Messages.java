package dev.stratus.runner.lambda.message;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.util.ArrayList;
import java.util.LinkedHashMap;

/**
 * The one serializer of runner-internal messages (stage plans, task descriptors, task summaries): Kryo with every
 * class registered, behind a format version. A driver and a worker deployed from a different build refuse each
 * other's messages with a message saying so, instead of misreading them.
 */
public final class Messages {
  /** Raise when any message record changes shape. */
  public static final int FORMAT_VERSION = 5;

  private static final ThreadLocal<Kryo> KRYO = ThreadLocal.withInitial(Messages::newKryo);

  private Messages() {}

  private static Kryo newKryo() {
    Kryo kryo = new Kryo();
    kryo.setRegistrationRequired(true);
    kryo.register(byte[].class);
    kryo.register(ArrayList.class);
    kryo.register(LinkedHashMap.class);
    kryo.register(StagePlan.class);
    kryo.register(Root.Impulse.class);
    kryo.register(Root.Source.class);
    kryo.register(Root.Files.class);
    kryo.register(Root.GroupByKey.class);
    kryo.register(Op.ParDo.class);
    kryo.register(Op.AssignWindows.class);
    kryo.register(Op.Materialize.class);
    kryo.register(Op.ShuffleWrite.class);
    kryo.register(Op.PartialCombine.class);
    kryo.register(Op.MergeAccumulators.class);
    kryo.register(PartitionRef.class);
    kryo.register(ShufflePart.class);
    kryo.register(TaskDescriptor.class);
    kryo.register(TaskSummary.class);
    kryo.register(WorkerError.class);
    kryo.register(WorkerError.Frame.class);
    return kryo;
  }

  public static byte[] write(Object message) {
    Output out = new Output(1024, -1);
    out.writeVarInt(FORMAT_VERSION, true);
    KRYO.get().writeClassAndObject(out, message);
    return out.toBytes();
  }

  public static <T> T read(byte[] bytes, Class<T> type) {
    Input in = new Input(bytes);
    int version = in.readVarInt(true);
    if (version != FORMAT_VERSION) {
      throw new IncompatibleMessageException(
          "runner message format v" + version + " cannot be read by this build, which speaks v" + FORMAT_VERSION
              + ": deploy the worker from the same build as the driver");
    }
    try {
      return type.cast(KRYO.get().readClassAndObject(in));
    } catch (KryoException | ClassCastException e) {
      throw new IncompatibleMessageException("unreadable runner message (expected " + type.getSimpleName() + "): " + e.getMessage());
    }
  }

  /** A message from a different build of the runner. */
  public static final class IncompatibleMessageException extends RuntimeException {
    public IncompatibleMessageException(String message) {
      super(message);
    }
  }
}
