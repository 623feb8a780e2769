package dev.stratus.ps.wire;

import io.netty.buffer.ByteBuf;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Reads frames (see {@link Wire}) for one connection, on either side: the server feeds it whatever bytes arrived
 * ({@link #feed}), the client reads a whole frame from its socket ({@link #read}). Either way the frame is checked
 * against a length limit, its header is decoded, an LZ4 body is inflated, and {@link #body} reads the body.
 *
 * <p>Memory: the frame buffer grows only as bytes actually arrive, so a lying length prefix costs nothing, and a
 * buffer grown past {@link #KEEP_BYTES} for one large frame is dropped once that frame has been served
 * ({@link #release}). On the server, growth beyond {@link #KEEP_BYTES} is also drawn from a budget shared by
 * every connection of the shard, so that many connections each sending part of a large frame cannot exhaust the
 * heap.
 */
public final class FrameReader {
  /** Buffers up to this size are kept between frames; larger ones are given back after their frame. */
  static final int KEEP_BYTES = 64 << 10;
  private static final LZ4SafeDecompressor LZ4 = LZ4Factory.fastestInstance().safeDecompressor();
  private static final byte[] NONE = new byte[0];

  /** Bytes that the large frame buffers of all connections may hold together; null for no shared limit. */
  public interface Budget {
    boolean reserve(long bytes);

    void release(long bytes);
  }

  public final FrameIn body = new FrameIn();
  private final int initialBytes;
  private final Budget budget;
  private byte[] frame;
  private byte[] inflated = NONE;
  private long reserved; // what this reader's buffers hold above KEEP_BYTES, drawn from the budget
  private int length = -1; // of the frame being assembled; -1 while its length prefix is read
  private int prefix;
  private int prefixBytes;
  private int filled;
  private byte opcode;
  private int requestId;

  /** @param budget shared by the connections of a shard, or null where one reader alone is bounded enough */
  public FrameReader(int initialBytes, Budget budget) {
    this.initialBytes = initialBytes;
    this.frame = new byte[initialBytes];
    this.budget = budget;
  }

  public byte opcode() {
    return opcode;
  }

  public int requestId() {
    return requestId;
  }

  /** Bytes on the wire of the last whole frame: its length prefix and the frame. */
  public int wireBytes() {
    return 4 + length;
  }

  /**
   * Takes bytes from {@code in} until a whole frame is there (true: its body is ready; call {@link #next} once it
   * is served, the rest of {@code in} is left for the next frame) or {@code in} is used up (false). {@code limit}
   * bounds the frame and its inflated body.
   */
  public boolean feed(ByteBuf in, int limit) throws MalformedFrameException {
    if (length >= 0 && filled == length) {
      throw new IllegalStateException("the last frame was not released with next()");
    }
    while (length < 0) {
      if (!in.isReadable()) {
        return false;
      }
      prefix = (prefix << 8) | in.readUnsignedByte();
      if (++prefixBytes == 4) {
        length = checkLength(prefix, limit);
        filled = 0;
      }
    }
    while (filled < length) {
      int n = Math.min(in.readableBytes(), length - filled);
      if (n == 0) {
        return false;
      }
      ensureRoom(filled + n);
      in.readBytes(frame, filled, n);
      filled += n;
    }
    open(limit);
    return true;
  }

  /** Done with the frame {@link #feed} returned: the reader starts on the next one. */
  public void next() {
    length = -1;
    prefix = 0;
    prefixBytes = 0;
    filled = 0;
  }

  /** Reads one whole frame from {@code in}; end of stream before it ends is an {@link EOFException}. */
  public void read(InputStream in, int limit) throws IOException, MalformedFrameException {
    int value = 0;
    for (int i = 0; i < 4; i++) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException(i == 0 ? "the peer closed the connection" : "stream ended inside a frame header");
      }
      value = (value << 8) | b;
    }
    length = checkLength(value, limit);
    int read = 0;
    while (read < length) {
      ensureRoom(Math.min(length, read + 1));
      int n = in.read(frame, read, Math.min(length, frame.length) - read);
      if (n < 0) {
        throw new EOFException("stream ended inside a frame body");
      }
      read += n;
    }
    open(limit);
  }

  private static int checkLength(int length, int limit) throws MalformedFrameException {
    if (length < Wire.HEADER_BYTES || length > limit) {
      throw new MalformedFrameException("frame length " + Integer.toUnsignedString(length) + " is outside ["
          + Wire.HEADER_BYTES + ", " + limit + "]");
    }
    return length;
  }

  /** Makes the frame buffer hold at least {@code bytes} (at most the frame's length): doubling, so as bytes come. */
  private void ensureRoom(int bytes) throws MalformedFrameException {
    if (bytes > frame.length) {
      int size = (int) Math.min(length, Math.max(bytes, frame.length * 2L));
      account(size, inflated.length);
      frame = Arrays.copyOf(frame, size);
    }
  }

  /** Draws from the budget what buffers of these sizes would hold above {@link #KEEP_BYTES}, before they exist. */
  private void account(int frameBytes, int inflatedBytes) throws MalformedFrameException {
    long held = Math.max(0, frameBytes - KEEP_BYTES) + (long) Math.max(0, inflatedBytes - KEEP_BYTES);
    if (budget != null && held > reserved) {
      if (!budget.reserve(held - reserved)) {
        throw new MalformedFrameException("the shard is short of memory for frames: a frame of " + length
            + " bytes does not fit beside what other connections hold; send smaller frames");
      }
      reserved = held;
    }
  }

  /** Decodes the header of the whole frame in the buffer and points {@link #body} at its (inflated) body. */
  private void open(int limit) throws MalformedFrameException {
    opcode = frame[0];
    byte flags = frame[1];
    requestId = (frame[2] & 0xFF) | (frame[3] & 0xFF) << 8 | (frame[4] & 0xFF) << 16 | frame[5] << 24;
    if ((flags & ~Wire.FLAG_LZ4) != 0) {
      throw new MalformedFrameException("unknown flags " + flags);
    }
    body.reset(frame, Wire.HEADER_BYTES, length - Wire.HEADER_BYTES);
    if ((flags & Wire.FLAG_LZ4) != 0) {
      inflate(limit);
    }
  }

  private void inflate(int limit) throws MalformedFrameException {
    int rawLength = body.i32();
    if (rawLength < 0 || rawLength > limit) {
      throw new MalformedFrameException("compressed body claims " + rawLength + " bytes, limit " + limit);
    }
    if (inflated.length < rawLength) {
      int size = Math.max(rawLength, Math.min(limit, inflated.length * 2));
      account(frame.length, size);
      inflated = new byte[size];
    }
    try {
      int n = LZ4.decompress(frame, Wire.HEADER_BYTES + 4, body.remaining(), inflated, 0, rawLength);
      if (n != rawLength) {
        throw new MalformedFrameException("compressed body inflates to " + n + " bytes, not " + rawLength);
      }
    } catch (LZ4Exception e) {
      throw new MalformedFrameException("corrupt LZ4 body: " + e.getMessage());
    }
    body.reset(inflated, 0, rawLength);
  }

  /**
   * Gives back buffers grown past {@link #KEEP_BYTES} for a large frame, and their share of the budget. Call between
   * frames; when the connection ends, call {@link #next} first to drop a frame left half received.
   */
  public void release() {
    if (frame.length > KEEP_BYTES) {
      frame = new byte[initialBytes];
    }
    if (inflated.length > KEEP_BYTES) {
      inflated = NONE;
    }
    if (reserved > 0) {
      budget.release(reserved);
      reserved = 0;
    }
  }
}
