package dev.stratus.pipelines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Every Maven command the README and the benchmarks' README show names an execution its module's pom has, which runs a
 * main class that exists, and passes its arguments where that execution reads them (an {@code exec:exec} execution
 * with a fixed command line ignores {@code -Dexec.args}: the deploy command once ran the main job that way).
 */
class ReadmeCommandsTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern EXEC =
      Pattern.compile("mvn [^`|\\n]*?-pl (\\S+) [^`|\\n]*?exec:(exec|java)(?:@([\\w-]+))?([^`|\\n]*)");
  private static final Pattern SUREFIRE = Pattern.compile("mvn [^`|\\n]*?-pl (\\S+) [^`|\\n]*?(surefire:test@[\\w-]+.*)");
  private static final Pattern SUREFIRE_ID = Pattern.compile("surefire:test@([\\w-]+)");

  /** One execution of a plugin in a module's pom: its id ("" for the plugin's own configuration) and settings. */
  private record Execution(String id, Map<String, String> configuration) {}

  @Test
  void everyExecCommandRunsAnExistingMainClassWithItsArguments() throws Exception {
    List<String> checked = new ArrayList<>();
    for (Path readme : List.of(ROOT.resolve("README.md"), ROOT.resolve("benchmarks/README.md"))) {
      Matcher command = EXEC.matcher(Files.readString(readme));
      while (command.find()) {
        String module = command.group(1);
        String goal = command.group(2);
        String id = command.group(3) == null ? "" : command.group(3);
        String arguments = command.group(4);
        if (id.equals("NAME")) {
          continue; // the benchmarks' README names the form of every command before it lists them
        }
        String where = ROOT.relativize(readme) + ": " + command.group();
        Map<String, Execution> executions = executions(module, "exec-maven-plugin");
        Execution execution = executions.get(id);
        assertNotNull(execution, "no execution '" + id + "' in " + module + "/pom.xml for " + where);
        Execution defaults = executions.get("");
        String mainClass;
        if (goal.equals("java")) {
          mainClass = setting(execution, defaults, "mainClass");
          assertNotNull(mainClass, "no mainClass for " + where);
        } else {
          String commandLine = setting(execution, defaults, "commandlineArgs");
          assertNotNull(commandLine, "no commandlineArgs for " + where);
          assertFalse(arguments.contains("-Dexec.args"),
              where + " passes -Dexec.args, which an execution with a fixed command line ignores: use -Djob.args");
          assertTrue(commandLine.contains("${job.args}") || !arguments.contains("-Djob.args"),
              where + " passes -Djob.args, which " + module + "'s execution '" + id + "' does not read");
          Matcher className = Pattern.compile("%classpath (\\S+)").matcher(commandLine);
          assertTrue(className.find(), "no main class after %classpath in " + commandLine);
          mainClass = className.group(1);
        }
        Path source = findSource(mainClass);
        assertNotNull(source, "no class " + mainClass + " for " + where);
        assertTrue(Files.readString(source)
            .contains("public static void main(String[] args)"), mainClass + " has no main, for " + where);
        checked.add(module + " " + goal + "@" + id);
      }
    }
    assertTrue(checked.contains("pipelines exec@deploy-worker"), "the deploy command was checked: " + checked);
    assertTrue(checked.size() >= 15, "the README's commands were found: " + checked);
  }

  @Test
  void everySurefireCommandNamesAnExecutionOfItsModule() throws Exception {
    Matcher command = SUREFIRE.matcher(Files.readString(ROOT.resolve("README.md")));
    int found = 0;
    while (command.find()) {
      Map<String, Execution> executions = executions(command.group(1), "maven-surefire-plugin");
      Matcher id = SUREFIRE_ID.matcher(command.group(2));
      while (id.find()) {
        assertTrue(executions.containsKey(id.group(1)),
            "no surefire execution '" + id.group(1) + "' in " + command.group(1) + "/pom.xml: " + command.group());
        found++;
      }
    }
    assertEquals(3, found, "the README's command for Beam's tests names its three executions");
  }

  private static String setting(Execution execution, Execution defaults, String name) {
    String value = execution.configuration().get(name);
    return value != null || defaults == null ? value : defaults.configuration().get(name);
  }

  /** A main class's source, in whichever module holds it (DeployWorker lives in the runner, run from pipelines). */
  private static Path findSource(String mainClass) throws IOException {
    try (var modules = Files.list(ROOT)) {
      return modules
          .map(m -> m.resolve("src/main/java").resolve(mainClass.replace('.', '/') + ".java"))
          .filter(Files::exists)
          .findFirst()
          .orElse(null);
    }
  }

  /** The plugin's executions in {@code module}'s pom, by id; its own configuration under "". */
  private static Map<String, Execution> executions(String module, String plugin) throws Exception {
    Element project = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(ROOT.resolve(module).resolve("pom.xml").toFile()).getDocumentElement();
    Map<String, Execution> executions = new HashMap<>();
    NodeList plugins = project.getElementsByTagName("plugin");
    for (int i = 0; i < plugins.getLength(); i++) {
      Element element = (Element) plugins.item(i);
      if (!plugin.equals(text(element, "artifactId"))) {
        continue;
      }
      executions.put("", new Execution("", configuration(child(element, "configuration"))));
      NodeList ids = element.getElementsByTagName("execution");
      for (int j = 0; j < ids.getLength(); j++) {
        Element execution = (Element) ids.item(j);
        String id = text(execution, "id");
        executions.put(id, new Execution(id, configuration(child(execution, "configuration"))));
      }
    }
    return executions;
  }

  private static Map<String, String> configuration(Element configuration) {
    Map<String, String> settings = new HashMap<>();
    if (configuration != null) {
      NodeList children = configuration.getChildNodes();
      for (int i = 0; i < children.getLength(); i++) {
        if (children.item(i) instanceof Element setting) {
          settings.put(setting.getTagName(), setting.getTextContent().trim());
        }
      }
    }
    return settings;
  }

  private static Element child(Element parent, String name) {
    NodeList children = parent.getChildNodes();
    for (int i = 0; i < children.getLength(); i++) {
      if (children.item(i) instanceof Element element && element.getTagName().equals(name)) {
        return element;
      }
    }
    return null;
  }

  private static String text(Element parent, String name) {
    Element element = child(parent, name);
    return element == null ? null : element.getTextContent().trim();
  }
}
