package dev.stratus.kernels.text;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Splits a byte stream into lines without decoding it: parsers work on the bytes of {@link #buffer()} between
 * {@link #start()} and {@link #end()}, valid until the next call to {@link #next()}. Decoding every line into a
 * {@code String} would cost more than parsing it. A trailing '\r' is dropped; the last line needs no '\n'.
 */
public final class LineReader implements Closeable {
  private final InputStream in;
  private byte[] buf = new byte[1 << 20];
  private int limit; // bytes of buf filled
  private int position; // start of the next line
  private int start;
  private int end;
  private long lineNumber;
  private long bytesRead;
  private boolean eof;

  public LineReader(InputStream in) {
    this.in = in;
  }

  /** Advances to the next line; false at the end of the stream. */
  public boolean next() throws IOException {
    int scan = position;
    while (true) {
      for (int i = scan; i < limit; i++) {
        if (buf[i] == '\n') {
          setLine(position, i);
          position = i + 1;
          return true;
        }
      }
      if (eof) {
        if (position < limit) {
          setLine(position, limit);
          position = limit;
          return true;
        }
        return false;
      }
      scan = fill();
    }
  }

  public byte[] buffer() {
    return buf;
  }

  public int start() {
    return start;
  }

  public int end() {
    return end;
  }

  /** 1-based number of the current line. */
  public long lineNumber() {
    return lineNumber;
  }

  /** Offset in the stream of the current line's first byte. */
  public long offset() {
    return bytesRead - limit + start;
  }

  /** Bytes consumed from the stream so far. */
  public long bytesRead() {
    return bytesRead;
  }

  /** The current line as text: for error messages only. */
  public String text() {
    return new String(buf, start, end - start, StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  private void setLine(int from, int to) {
    start = from;
    end = to > from && buf[to - 1] == '\r' ? to - 1 : to;
    lineNumber++;
  }

  /** Moves the unfinished line to the front, grows the buffer if that line fills it, reads more; returns where to scan. */
  private int fill() throws IOException {
    int pending = limit - position;
    if (position > 0) {
      System.arraycopy(buf, position, buf, 0, pending);
      position = 0;
      limit = pending;
    }
    if (limit == buf.length) {
      buf = Arrays.copyOf(buf, buf.length * 2);
    }
    int n = in.read(buf, limit, buf.length - limit);
    if (n < 0) {
      eof = true;
    } else {
      limit += n;
      bytesRead += n;
    }
    return pending;
  }
}
