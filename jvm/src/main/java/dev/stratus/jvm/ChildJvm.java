package dev.stratus.jvm;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a {@link ChildProcess} that is a JVM running a main class: {@code java <options> -cp <class path>
 * ExitWithParent <input length> <main class> <arguments>}, with this JVM's Java and, unless told otherwise, its class
 * path. {@link ExitWithParent} runs the main class and ends the child when this JVM is gone, however it ended. The
 * JVM's settings come first in the chain, the process's ({@link ChildProcess.Builder}) after them.
 */
public final class ChildJvm {
  private ChildJvm() {}

  public static Builder mainClass(Class<?> mainClass) {
    return mainClass(mainClass.getName());
  }

  public static Builder mainClass(String mainClass) {
    return new Builder(mainClass);
  }

  /** A child JVM's command line; named after its main class unless {@link #name} says otherwise. */
  public static final class Builder extends ChildProcess.Builder {
    private final String mainClass;
    /** Null until set: {@link ClassPath#current()}, worked out only for a child that uses it. */
    private String classPath;
    private final List<String> jvmOptions = new ArrayList<>();
    private final List<String> arguments = new ArrayList<>();
    private ClassDataArchives archives;
    /** Set by {@link #start} when archives are used: the class path and options {@link ClassDataArchives} gave. */
    private ClassDataArchives.Launch launch;

    private Builder(String mainClass) {
      super(mainClass.substring(mainClass.lastIndexOf('.') + 1));
      this.mainClass = mainClass;
    }

    /** Replaces {@link ClassPath#current()}, the default; {@link ExitWithParent}'s own place is added after it. */
    public Builder classPath(String classPath) {
      this.classPath = classPath;
      return this;
    }

    /** Adds options for the JVM ({@code -Xmx512m}, {@code -Dname=value}…), before the class path. */
    public Builder jvmOptions(String... options) {
      return jvmOptions(List.of(options));
    }

    public Builder jvmOptions(List<String> options) {
      jvmOptions.addAll(options);
      return this;
    }

    /** Adds arguments for the main class; never a secret (see {@link ChildProcess}). */
    public Builder arguments(String... arguments) {
      return arguments(List.of(arguments));
    }

    public Builder arguments(List<String> arguments) {
      this.arguments.addAll(arguments);
      return this;
    }

    /**
     * Starts the JVM from the class-data archive of its code and options in {@code archives}, or records that archive
     * as it ends (see {@link ClassDataArchives}): the classes it loaded are mapped at the next start rather than
     * loaded, parsed and verified again. A recording is kept or dropped before the child's {@link
     * ChildProcess#onExit} completes. Null: no archives.
     */
    public Builder classDataArchives(ClassDataArchives archives) {
      this.archives = archives;
      return this;
    }

    @Override
    public ChildProcess start() throws IOException {
      if (archives == null) {
        return super.start();
      }
      List<Path> entries = new ArrayList<>();
      for (String entry : classPathWithExitWithParent().split(File.pathSeparator)) {
        if (!entry.isEmpty()) {
          entries.add(Path.of(entry));
        }
      }
      launch = archives.prepare(entries, jvmOptions);
      ClassDataArchives.Recording recording = launch.recording();
      if (recording == null) {
        return super.start();
      }
      afterExit(recording::ended);
      try {
        return super.start();
      } catch (IOException | RuntimeException e) {
        recording.ended(-1); // a child that never started has no exit to end it
        throw e;
      }
    }

    /**
     * Whether the child {@link #start} started records its archive as it ends: stopped (SIGTERM) rather than killed,
     * it keeps it.
     */
    public boolean recordsClassData() {
      return launch != null && launch.recording() != null;
    }

    @Override
    boolean exitsWithParent() {
      return true;
    }

    private String classPathWithExitWithParent() {
      return classPath != null ? classPath + File.pathSeparator + ClassPath.of(ExitWithParent.class)
          : ClassPath.current();
    }

    @Override
    List<String> commandLine() {
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(jvmOptions);
      String path;
      if (launch != null) {
        command.addAll(launch.jvmOptions());
        path = String.join(File.pathSeparator, launch.classpath().stream().map(Path::toString).toList());
      } else {
        path = classPathWithExitWithParent();
      }
      int input = inputLength();
      command.addAll(List.of("-cp", path, ExitWithParent.class.getName(),
          input < 0 ? ExitWithParent.NO_INPUT : String.valueOf(input), mainClass));
      command.addAll(arguments);
      return command;
    }
  }
}
