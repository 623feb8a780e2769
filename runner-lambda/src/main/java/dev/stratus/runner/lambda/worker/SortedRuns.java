package dev.stratus.runner.lambda.worker;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;

/**
 * An external sort of (encoded key, encoded element) entries by key, in unsigned byte order: entries gather in memory
 * until they pass a bound, then go to a local file as a sorted run; {@link #merged()} merges the runs. The files are
 * in the JVM's temporary directory (a Lambda environment's /tmp) and are deleted on close.
 */
final class SortedRuns implements AutoCloseable {
  /** What an entry costs in memory besides its bytes: the record, two array headers, the list's reference. */
  private static final int ENTRY_OVERHEAD_BYTES = 64;
  private static final Comparator<Entry> BY_KEY = (a, b) -> Arrays.compareUnsigned(a.key, b.key);

  record Entry(byte[] key, byte[] element) {}

  private final long limitBytes;
  private final List<Entry> inMemory = new ArrayList<>();
  private final List<Path> runs = new ArrayList<>();
  private final List<DataInputStream> open = new ArrayList<>();
  private long bytes;

  SortedRuns(long limitBytes) {
    this.limitBytes = limitBytes;
  }

  void add(byte[] key, byte[] element) throws IOException {
    inMemory.add(new Entry(key, element));
    bytes += key.length + element.length + ENTRY_OVERHEAD_BYTES;
    if (bytes > limitBytes) {
      spill();
    }
  }

  /** Files written so far. */
  int spilledRuns() {
    return runs.size();
  }

  private void spill() throws IOException {
    inMemory.sort(BY_KEY);
    Path run = Files.createTempFile("stratus-shuffle-run-", ".bin");
    runs.add(run);
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(run), 1 << 16))) {
      for (Entry e : inMemory) {
        out.writeInt(e.key.length);
        out.write(e.key);
        out.writeInt(e.element.length);
        out.write(e.element);
      }
    }
    inMemory.clear();
    bytes = 0;
  }

  /** Every entry added, ordered by key; entries of one key come one after another. */
  Iterator<Entry> merged() throws IOException {
    inMemory.sort(BY_KEY);
    if (runs.isEmpty()) {
      return inMemory.iterator();
    }
    PriorityQueue<Cursor> heads = new PriorityQueue<>((a, b) -> BY_KEY.compare(a.head, b.head));
    Cursor memory = new Cursor(inMemory.iterator());
    if (memory.advance()) {
      heads.add(memory);
    }
    for (Path run : runs) {
      DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(run), 1 << 16));
      open.add(in);
      Cursor cursor = new Cursor(new RunReader(in));
      if (cursor.advance()) {
        heads.add(cursor);
      }
    }
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return !heads.isEmpty();
      }

      @Override
      public Entry next() {
        Cursor cursor = heads.poll();
        if (cursor == null) {
          throw new NoSuchElementException();
        }
        Entry entry = cursor.head;
        if (cursor.advance()) {
          heads.add(cursor);
        }
        return entry;
      }
    };
  }

  @Override
  public void close() throws IOException {
    for (DataInputStream in : open) {
      in.close();
    }
    for (Path run : runs) {
      Files.deleteIfExists(run);
    }
  }

  /** A sorted source and its current entry. */
  private static final class Cursor {
    private final Iterator<Entry> source;
    private Entry head;

    Cursor(Iterator<Entry> source) {
      this.source = source;
    }

    boolean advance() {
      head = source.hasNext() ? source.next() : null;
      return head != null;
    }
  }

  /** Reads a run file's entries in order. */
  private static final class RunReader implements Iterator<Entry> {
    private final DataInputStream in;
    private Entry next;

    RunReader(DataInputStream in) {
      this.in = in;
      next = read();
    }

    private Entry read() {
      try {
        byte[] key = new byte[in.readInt()];
        in.readFully(key);
        byte[] element = new byte[in.readInt()];
        in.readFully(element);
        return new Entry(key, element);
      } catch (EOFException e) {
        return null;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read a shuffle run from local disk", e);
      }
    }

    @Override
    public boolean hasNext() {
      return next != null;
    }

    @Override
    public Entry next() {
      Entry current = next;
      next = read();
      return current;
    }
  }
}
