package dev.stratus.ps.wire;


/**
 * The parameter server's wire format, shared by client and server.
 *
 * <p>A frame is {@code int32 length} (big-endian, the bytes that follow) then {@code opcode:u8 flags:u8
 * requestId:i32} then the body; everything inside a frame is little-endian. Flag {@link #FLAG_LZ4} marks a body
 * stored as {@code rawLength:i32} followed by an LZ4 block. A reply carries the request's id and opcode
 * {@link #REPLY_OK} or {@link #REPLY_ERROR} (body: a UTF-8 message), so replies may come in any order.
 *
 * <p>Sorted, distinct key sets ({@link FrameOut#keys}, {@link FrameIn#keys}) are a varint count, the first key, then
 * each gap minus one as a varint: on Criteo-shaped minibatches (about 620 keys of 2^19) they take 1.86 bytes a key
 * against 2.12 for a run-optimized RoaringBitmap, encode and decode about as fast, and need no objects at all; the
 * PS benchmark prints the measurement.
 */
public final class Wire {
  private Wire() {}

  static final int HEADER_BYTES = 6; // opcode, flags, request id
  static final byte FLAG_LZ4 = 1;
  /** In a spec's optimizer byte: {@link dev.stratus.ps.ModelSpec#l2AllRows}. */
  static final int SPEC_L2_ALL_ROWS = 0x80;
  /** In a spec's optimizer byte: a model {@link dev.stratus.ps.ModelSpec#snapshotted} is false for. */
  static final int SPEC_NOT_SNAPSHOTTED = 0x40;
  /** Bodies above this many bytes are LZ4-compressed when that makes them smaller (a shard may set its own). */
  public static final int COMPRESS_ABOVE = 16 << 10;
  /** Frames before a connection has proved the secret (the handshake's) are tiny: longer ones are not ours. */
  public static final int MAX_FRAME_BEFORE_HELLO = 4096;
  /**
   * The first field of HELLO, so that builds that cannot talk say so. Version 1 (no such field) sent the secret itself
   * in HELLO; version 2 proves it by challenge-response ({@link Handshake}); version 3's METRICS reply also says the
   * pushes a shard's models hold and when the snapshot it restored was taken; version 4 adds pulls and pushes of
   * values as {@link Half}s, and pushes that name a recent pull's keys; version 5's spec in CREATE_MODEL ends with the
   * model's initScale; version 6's spec may ask for an L2 penalty on every row ({@link #SPEC_L2_ALL_ROWS}), and SET_L2 changes a model's
   * penalty while it trains; version 7's spec ends with an L1 penalty; version 8 adds KV_AWAIT; version 9 adds
   * ROWS_HELD and LOAD_ROWS, by which a model moves to another slicing.
   */
  public static final int PROTOCOL_VERSION = 9;

  // Requests. A connection starts with HELLO then PROOF (see Handshake).
  public static final byte HELLO = 1; // version:i32 workerId:i32 workerNonce -> shardNonce shardProof
  public static final byte CREATE_MODEL = 2; // name:str spec rangeStart:i32 rangeEnd:i32 -> modelId:i32
  public static final byte PULL = 3; // modelId:i32 keys -> floats
  public static final byte PUSH = 4; // modelId:i32 countsAsUpdate:u8 keys floats -> (empty)
  public static final byte PULL_RANGE = 5; // modelId:i32 fromRow:i32 rowCount:i32 -> floats
  public static final byte MODEL_STATUS = 6; // modelId:i32 -> clock:i64 n:i32 (worker:i32 updates:i64)*n
  public static final byte SNAPSHOT = 7; // modelId:i32 -> clock:i64
  public static final byte RESTORE = 8; // modelId:i32 -> clock:i64
  public static final byte KV_PUT = 9; // key:str value:bytes
  public static final byte KV_GET = 10; // key:str -> found:u8 value:bytes
  public static final byte KV_MULTI_GET = 11; // n:i32 key:str*n -> (found:u8 value:bytes)*n
  public static final byte KV_DELETE = 12; // key:str -> existed:u8
  public static final byte KV_ADD = 13; // key:str n:i32 floats -> n:i32 floats (the sum)
  public static final byte KV_LIST = 14; // prefix:str -> n:i32 key:str*n
  public static final byte METRICS = 15; // -> see ShardMetrics
  public static final byte PING = 16; // -> (empty)
  public static final byte DELETE_MODEL = 17; // name:str -> existed:u8
  public static final byte PROOF = 18; // workerProof -> maxFrameBytes:i32 shard:i32
  public static final byte PULL_HALVES = 19; // as PULL -> halves
  public static final byte PUSH_HALVES = 20; // as PUSH, with halves
  /**
   * A push for the keys of one of the connection's last 4 pulls (both sides remember every pull sent on it, in
   * order), which it names instead of sending them again: modelId:i32 countsAsUpdate:u8 pullId:i32 floats.
   */
  public static final byte PUSH_PULLED_KEYS = 21;
  public static final byte PUSH_PULLED_KEYS_HALVES = 22; // as PUSH_PULLED_KEYS, with halves
  public static final byte SET_L2 = 23; // modelId:i32 l2:f32 freshRates:u8 -> (empty); from the next push on
  /**
   * A get answered once the key is written or deleted (at once when its value is not the one given), or after the
   * wait given: key:str maxWaitMillis:i32 seenFound:u8 [seen:bytes] -> found:u8 value:bytes.
   */
  public static final byte KV_AWAIT = 24;
  /**
   * A model's rows as the shard holds them, for another slicing of it to {@link #LOAD_ROWS}: modelId:i32 fromRow:i32
   * rowCount:i32 -> changes:i64 clock:i64 l2:f32 n:i32 (worker:i32 updates:i64)*n values:f32*(rowCount*cols)
   * hasState:u8 [state:f32*(rowCount*cols)]; every row's missed penalty taken first.
   */
  public static final byte ROWS_HELD = 25;
  /**
   * Replaces rows of a model with what {@link #ROWS_HELD} gave: modelId:i32 fromRow:i32 rowCount:i32 then the same
   * fields, the clock and counts to add to the model's -> (empty).
   */
  public static final byte LOAD_ROWS = 26;

  public static final byte REPLY_OK = 100;
  public static final byte REPLY_ERROR = 101;

  public static boolean isRequest(byte opcode) {
    return opcode >= HELLO && opcode <= LOAD_ROWS;
  }
}
