package dev.stratus.lambda.local;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/** Unpacks a deployment zip into a task root, as Lambda does before it starts an environment. */
final class CodeArchive {
  private CodeArchive() {}

  static FunctionCode.Archive unpack(byte[] zip, Path taskRoot) {
    int entries = 0;
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      Files.createDirectories(taskRoot);
      for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
        Path target = taskRoot.resolve(entry.getName()).normalize();
        if (!target.startsWith(taskRoot)) {
          throw ApiException.invalidParameter("zip entry " + entry.getName() + " points outside the task root");
        }
        if (entry.isDirectory()) {
          Files.createDirectories(target);
        } else {
          Files.createDirectories(target.getParent());
          Files.copy(in, target);
        }
        entries++;
      }
    } catch (IOException e) {
      throw ApiException.invalidParameter("Could not unzip uploaded file: " + e.getMessage());
    }
    if (entries == 0) {
      throw ApiException.invalidParameter("Could not unzip uploaded file: the zip is empty");
    }
    return new FunctionCode.Archive(taskRoot, zip.length, sha256(zip));
  }

  private static String sha256(byte[] bytes) {
    try {
      return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
