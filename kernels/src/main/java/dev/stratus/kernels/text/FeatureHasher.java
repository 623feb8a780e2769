package dev.stratus.kernels.text;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;

/**
 * The hashing trick: maps (column, value) to a feature index in {@code [named, 2^bits)}, below which the named
 * (unhashed, e.g. numeric) features keep their own indices. MurmurHash3 (x86, 32 bit) over the value's bytes, seeded
 * per column so that equal values of different columns land apart.
 */
public final class FeatureHasher implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final int SEED = 0x5EED_C0DE;

  private final int named;
  private final int hashedSlots;

  /**
   * @param bits the feature space has {@code 2^bits} indices
   * @param named leading indices reserved for named features
   */
  public FeatureHasher(int bits, int named) {
    if (bits < 1 || bits > 30) {
      throw new IllegalArgumentException("the feature space needs 1..30 bits, got " + bits);
    }
    if (named >= (1 << bits)) {
      throw new IllegalArgumentException(
          "2^" + bits + " features leave no room for hashing beside " + named + " named features: use more bits");
    }
    this.named = named;
    this.hashedSlots = (1 << bits) - named;
  }

  /** The seed of a column known by its position. */
  public static int columnSeed(int column) {
    return murmur3(new byte[0], 0, 0, SEED + column * 0x9E3779B9);
  }

  /** The seed of a column known by its name (CSV), so that column order does not change the hashing. */
  public static int columnSeed(String column) {
    byte[] name = column.getBytes(StandardCharsets.UTF_8);
    return murmur3(name, 0, name.length, SEED);
  }

  /** The feature index of the value in {@code b[from, to)} of the column with {@code columnSeed}. */
  public int index(int columnSeed, byte[] b, int from, int to) {
    return named + (int) (Integer.toUnsignedLong(murmur3(b, from, to, columnSeed)) % hashedSlots);
  }

  /** The feature index of an existing feature index re-hashed into this space (named indices keep theirs). */
  public int rehash(int feature) {
    if (feature < named) {
      return feature;
    }
    return named + (int) (Integer.toUnsignedLong(fmix(feature * 0xCC9E2D51 + SEED)) % hashedSlots);
  }

  /** MurmurHash3 x86_32 of {@code b[from, to)}. */
  public static int murmur3(byte[] b, int from, int to, int seed) {
    int h = seed;
    int i = from;
    for (; i + 4 <= to; i += 4) {
      int k = (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 | (b[i + 2] & 0xFF) << 16 | (b[i + 3] & 0xFF) << 24;
      h ^= mixK(k);
      h = Integer.rotateLeft(h, 13) * 5 + 0xE6546B64;
    }
    int k = 0;
    switch (to - i) {
      case 3:
        k ^= (b[i + 2] & 0xFF) << 16;
        // fall through
      case 2:
        k ^= (b[i + 1] & 0xFF) << 8;
        // fall through
      case 1:
        k ^= b[i] & 0xFF;
        h ^= mixK(k);
        break;
      default:
        break;
    }
    return fmix(h ^ (to - from));
  }

  private static int mixK(int k) {
    return Integer.rotateLeft(k * 0xCC9E2D51, 15) * 0x1B873593;
  }

  private static int fmix(int h) {
    h ^= h >>> 16;
    h *= 0x85EBCA6B;
    h ^= h >>> 13;
    h *= 0xC2B2AE35;
    return h ^ (h >>> 16);
  }
}
