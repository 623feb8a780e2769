/**
 * The frame format client and shard share: {@link dev.stratus.ps.wire.Wire} (the layout and the opcodes),
 * {@link dev.stratus.ps.wire.FrameOut} (writing frames), {@link dev.stratus.ps.wire.FrameReader} (taking them off a
 * socket or a buffer) and {@link dev.stratus.ps.wire.FrameIn} (reading a body, every read bounds-checked).
 */
package dev.stratus.ps.wire;
