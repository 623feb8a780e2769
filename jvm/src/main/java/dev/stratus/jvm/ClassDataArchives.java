package dev.stratus.jvm;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Class-data sharing for child JVMs (Lambda environments, shard processes), what Lambda SnapStart's restored JVMs are
 * to Lambda: the first JVM of some code records the classes it loaded into an archive (HotSpot's dynamic AppCDS) as it
 * ends, and later JVMs of the same code, started by this process or another on this host, map that archive instead of
 * loading, parsing and verifying those classes again. Archives outlive the process that made them, in one directory
 * of this host; a JVM told to share no classes ({@code -Xshare:off}) or given an archive of its own
 * ({@code -XX:SharedArchiveFile}) is left as it is.
 *
 * <p>HotSpot archives classes from jars only, and refuses to record at all if one came from a directory. So the code's
 * directories go on a JVM's classpath as jars of their content, made once per object of this class and named by that
 * content, which also fixes the code a JVM runs when the first one of it starts, as a deployment package fixes it on
 * Lambda. An archive holds for one JVM build, one set of options and the exact jars it was recorded with
 * (paths, sizes, modification times): its name is a digest of all of them, and a JVM that finds it does not match
 * runs without it.
 */
public final class ClassDataArchives {
  private static final Logger LOG = LoggerFactory.getLogger(ClassDataArchives.class);
  /** Archives kept in the directory, the most recently recorded; each is tens of megabytes. */
  private static final int KEPT_ARCHIVES = 12;
  /** Jars of directories kept, the most recently made. */
  private static final int KEPT_JARS = 48;
  /** Silences the JVM's notes on classes it can not archive (old class-file versions), one per class. */
  private static final String QUIET = "-Xlog:cds*=off";
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

  private final Path directory;
  /**
   * What this object made of each classpath and the options that matter to an archive, worked out at the first JVM
   * that has them: its directories' jars are made and its jars looked at once, not at every cold start.
   */
  private final Map<List<Object>, Code> codes = new ConcurrentHashMap<>();
  /** Archives a JVM started through this object is recording now: one recording per archive at a time. */
  private final Set<String> recording = ConcurrentHashMap.newKeySet();

  /** What a JVM is started with: its classpath and the options that use or record its archive. */
  public record Launch(List<Path> classpath, List<String> jvmOptions, Recording recording) {}

  /** A classpath as JVMs get it, with jars for its directories, and the name of its archive. */
  private record Code(List<Path> jars, String key) {}

  /** An archive being recorded into {@code partial} by one JVM, moved into place once complete. */
  public static final class Recording {
    private final ClassDataArchives archives;
    private final String key;
    private final Path partial;
    private final AtomicBoolean ended = new AtomicBoolean();

    private Recording(ClassDataArchives archives, String key, Path partial) {
      this.archives = archives;
      this.key = key;
      this.partial = partial;
    }

    /** The recording JVM's process ended with {@code exitCode} (-1: it never started); only the first call counts. */
    public void ended(int exitCode) {
      if (ended.compareAndSet(false, true)) {
        archives.ended(this, exitCode);
      }
    }
  }

  public ClassDataArchives(Path directory) {
    this.directory = directory;
  }

  /** Archives kept in {@code name} under this JVM's temporary directory. */
  public static ClassDataArchives inTemporaryDirectory(String name) {
    return new ClassDataArchives(Path.of(System.getProperty("java.io.tmpdir"), name));
  }

  /**
   * The launch of a JVM with {@code classpath} and the JVM {@code options} it runs with: its archive if one was
   * recorded, else a recording of one if no other JVM started through this object records it now, else neither (as
   * when the archives' directory can not be written, or the options choose their own class sharing: the JVM then
   * starts as it would without archives).
   */
  public Launch prepare(List<Path> classpath, List<String> options) {
    if (options.stream().anyMatch(ClassDataArchives::choosesItsOwnSharing)) {
      return new Launch(classpath, List.of(), null);
    }
    try {
      return prepareOrFail(classpath, options);
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("JVMs start without a class-data archive: cannot use {}", directory, e);
      return new Launch(classpath, List.of(), null);
    }
  }

  private static boolean choosesItsOwnSharing(String option) {
    return option.equals("-Xshare:off") || option.startsWith("-XX:SharedArchiveFile=")
        || option.startsWith("-XX:ArchiveClassesAtExit=");
  }

  private Launch prepareOrFail(List<Path> classpath, List<String> options) throws IOException {
    List<String> archiveOptions = options.stream()
        .filter(option -> !option.startsWith("-Xmx") && !option.startsWith("-D"))
        .toList();
    Code code = codes.computeIfAbsent(List.of(classpath, archiveOptions), ignored -> code(classpath, archiveOptions));
    Path archive = archive(code.key());
    if (Files.isRegularFile(archive)) {
      return new Launch(code.jars(), List.of("-XX:SharedArchiveFile=" + archive, QUIET), null);
    }
    if (!recording.add(code.key())) {
      return new Launch(code.jars(), List.of(), null);
    }
    Path partial = Files.createTempFile(directory, code.key() + "-", ".partial");
    Files.delete(partial); // the JVM writes it anew when it ends
    return new Launch(code.jars(), List.of("-XX:ArchiveClassesAtExit=" + partial, QUIET),
        new Recording(this, code.key(), partial));
  }

  private Code code(List<Path> classpath, List<String> archiveOptions) {
    try {
      ownDirectory();
      List<Path> jars = new ArrayList<>();
      for (Path entry : classpath) {
        jars.add(Files.isDirectory(entry) ? jarOf(entry) : entry);
      }
      return new Code(jars, key(jars, archiveOptions));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Makes the directory, only its owner's, or checks that it is: a JVM runs the classes an archive holds, so archives
   * in a directory another user of this host could write (the temporary directory is everyone's) are never used.
   */
  private void ownDirectory() throws IOException {
    if (!Files.isDirectory(directory)) {
      Files.createDirectories(directory.getParent());
      try {
        Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      } catch (FileAlreadyExistsException madeMeanwhile) {
        // by another process: checked below as any directory found
      }
    }
    UserPrincipal owner = Files.getOwner(directory, LinkOption.NOFOLLOW_LINKS);
    String me = System.getProperty("user.name");
    Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(directory, LinkOption.NOFOLLOW_LINKS);
    if (!owner.getName().equals(me) || permissions.contains(PosixFilePermission.GROUP_WRITE)
        || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new IOException(directory + " is " + owner.getName() + "'s with permissions "
          + PosixFilePermissions.toString(permissions) + ": class-data archives are kept only where " + me
          + " alone may write");
    }
  }

  private Path archive(String key) {
    return directory.resolve(key + ".jsa");
  }

  /**
   * The recording JVM ended with {@code exitCode}: its archive is complete if it ended of itself or on
   * SIGTERM (143), the JVM having written the archive before exiting, and is dropped if it was killed.
   */
  private void ended(Recording recording, int exitCode) {
    try {
      if ((exitCode == 0 || exitCode == 143) && Files.size(recording.partial) > 0) {
        Path archive = archive(recording.key);
        Files.move(recording.partial, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        LOG.info("recorded the class-data archive {} for the JVMs of its code", archive);
        keepNewest("*.jsa", KEPT_ARCHIVES);
      }
    } catch (IOException e) {
      // no archive: the next JVM of this code records one
    } finally {
      try {
        Files.deleteIfExists(recording.partial);
      } catch (IOException e) {
        LOG.warn("cannot delete {}", recording.partial, e);
      }
      this.recording.remove(recording.key);
    }
  }

  /** A jar of the directory's files, named by their paths and bytes: made if no earlier process made it. */
  private Path jarOf(Path dir) throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
    MessageDigest digest = sha256();
    for (Path file : files) {
      digest.update(entryName(dir, file).getBytes(StandardCharsets.UTF_8));
      digest.update((byte) 0);
      digest.update(Files.readAllBytes(file));
    }
    Path jar = directory.resolve("code-" + HexFormat.of().formatHex(digest.digest(), 0, 16) + ".jar");
    if (Files.isRegularFile(jar)) {
      return jar;
    }
    Path partial = Files.createTempFile(directory, "code-", ".partial");
    try (OutputStream out = Files.newOutputStream(partial); ZipOutputStream zip = new ZipOutputStream(out)) {
      for (Path file : files) {
        zip.putNextEntry(new ZipEntry(entryName(dir, file)));
        try (InputStream in = Files.newInputStream(file)) {
          in.transferTo(zip);
        }
        zip.closeEntry();
      }
    }
    // the same bytes as a jar another process may have made meanwhile, which this rename replaces
    Files.move(partial, jar, StandardCopyOption.ATOMIC_MOVE);
    keepNewest("code-*.jar", KEPT_JARS);
    return jar;
  }

  private static String entryName(Path dir, Path file) {
    return dir.relativize(file).toString().replace(File.separatorChar, '/');
  }

  /**
   * The archive's name: a digest of the JVM, its options that matter to an archive (all but the heap's size and system
   * properties) and each jar's path, size and modification time.
   */
  private static String key(List<Path> jars, List<String> archiveOptions) throws IOException {
    StringBuilder text = new StringBuilder(System.getProperty("java.home"))
        .append('\n').append(System.getProperty("java.vm.version"));
    for (String option : archiveOptions) {
      text.append('\n').append(option);
    }
    for (Path jar : jars) {
      text.append('\n').append(jar.toAbsolutePath());
      if (Files.isRegularFile(jar)) { // a classpath may name what does not exist; the JVM skips it
        text.append(' ').append(Files.size(jar)).append(' ').append(Files.getLastModifiedTime(jar).toMillis());
      }
    }
    byte[] digest = sha256().digest(text.toString().getBytes(StandardCharsets.UTF_8));
    return "classes-" + HexFormat.of().formatHex(digest, 0, 16);
  }

  private void keepNewest(String glob, int count) throws IOException {
    List<Path> found = new ArrayList<>();
    try (var stream = Files.newDirectoryStream(directory, glob)) {
      stream.forEach(found::add);
    }
    found.sort(Comparator.comparing(ClassDataArchives::modified).reversed());
    for (Path old : found.subList(Math.min(count, found.size()), found.size())) {
      Files.deleteIfExists(old);
    }
  }

  private static long modified(Path path) {
    try {
      return Files.getLastModifiedTime(path).toMillis();
    } catch (IOException e) {
      return 0; // gone meanwhile: first to go
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
