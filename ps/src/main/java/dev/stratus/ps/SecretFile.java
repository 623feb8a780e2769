package dev.stratus.ps;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * A secret in a file (a job's shard secret, a private key): a file, unlike a command line, only its owner need be
 * able to read. Errors name the option that gave the file.
 */
public final class SecretFile {
  private SecretFile() {}

  /**
   * The text of a file holding a secret, without its trailing line breaks; refused when others than its owner may
   * read or change it.
   */
  public static String read(Path file, String option, String what) {
    try {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
      Set<PosixFilePermission> shared = EnumSet.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);
      shared.retainAll(permissions);
      if (!shared.isEmpty()) {
        throw new IllegalArgumentException(option + " " + file + " may be read or changed by others than its owner ("
            + PosixFilePermissions.toString(permissions) + "): chmod 600 " + file);
      }
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: its access control lists are the user's to set
    } catch (IOException e) {
      throw new IllegalArgumentException(option + " " + file + " cannot be read: " + e);
    }
    String text = text(file, option);
    if (text.isEmpty()) {
      throw new IllegalArgumentException(option + " " + file + " is empty: it must hold " + what);
    }
    return text;
  }

  /** The file's text without its trailing line breaks. */
  public static String text(Path file, String option) {
    try {
      return Files.readString(file).replaceAll("[\\r\\n]+$", "");
    } catch (IOException e) {
      throw new IllegalArgumentException(option + " " + file + " cannot be read: " + e);
    }
  }
}
