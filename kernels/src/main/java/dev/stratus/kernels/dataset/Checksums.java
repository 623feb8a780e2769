package dev.stratus.kernels.dataset;

import java.util.zip.CRC32C;

/** CRC32C as the manifest spells it (8 hex digits), and the check every reader makes before decoding an object. */
final class Checksums {
  private Checksums() {}

  static String crc32c(byte[] object) {
    CRC32C crc = new CRC32C();
    crc.update(object);
    return String.format("%08x", crc.getValue());
  }

  /** Refuses an object whose size or checksum differs from what the manifest recorded. */
  static void verify(byte[] object, long bytes, String crc32c, String where) {
    if (object.length != bytes) {
      throw new DatasetException(
          where + " is " + object.length + " bytes but the manifest says " + bytes + ": it was changed or truncated");
    }
    String actual = crc32c(object);
    if (!actual.equals(crc32c)) {
      throw new DatasetException(
          "checksum mismatch in " + where + ": CRC32C " + actual + ", the manifest says " + crc32c
              + "; the object was changed or damaged after the dataset was written");
    }
  }
}
