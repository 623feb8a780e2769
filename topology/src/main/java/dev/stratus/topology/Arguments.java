package dev.stratus.topology;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The {@code --name value} options of a node's command line, each read with an error naming the option. */
final class Arguments {
  private final Map<String, List<String>> values;

  private Arguments(Map<String, List<String>> values) {
    this.values = values;
  }

  /** Reads {@code args} as pairs; refuses an option not in {@code known} or without a value. */
  static Arguments parse(String[] args, Set<String> known) {
    Map<String, List<String>> values = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      String option = args[i];
      if (!known.contains(option)) {
        throw new IllegalArgumentException(
            "unknown option " + option + " (known: " + String.join(", ", new TreeSet<>(known)) + ")");
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("option " + option + " needs a value");
      }
      values.computeIfAbsent(option, name -> new ArrayList<>()).add(args[i + 1]);
    }
    return new Arguments(values);
  }

  String required(String option) {
    List<String> given = all(option);
    if (given.isEmpty()) {
      throw new IllegalArgumentException("option " + option + " is required");
    }
    return given.get(given.size() - 1);
  }

  /** Every value of an option that may be given several times, in order. */
  List<String> all(String option) {
    return values.getOrDefault(option, List.of());
  }

  String optional(String option, String fallback) {
    return values.containsKey(option) ? required(option) : fallback;
  }

  /** A whole number from 0 up. */
  long number(String option, long fallback) {
    if (!values.containsKey(option)) {
      return fallback;
    }
    String text = required(option);
    try {
      long number = Long.parseLong(text);
      if (number >= 0) {
        return number;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new IllegalArgumentException("option " + option + " needs a whole number from 0 up, got '" + text + "'");
  }

  /** An IP address (a literal: nodes resolve no names). */
  InetAddress address(String option) {
    return literalAddress(option, required(option));
  }

  /** {@code ADDRESS:PORT}, the address a literal. */
  static InetSocketAddress socketAddress(String option, String text) {
    int colon = text.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("option " + option + " needs ADDRESS:PORT, got '" + text + "'");
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("option " + option + ": '" + text + "' has no port number");
    }
    String host = text.substring(0, colon).replaceAll("^\\[|]$", "");
    return new InetSocketAddress(literalAddress(option, host), port);
  }

  /** What {@link #socketAddress} reads. */
  static String format(InetSocketAddress address) {
    String host = address.getAddress().getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  private static InetAddress literalAddress(String option, String text) {
    if (!text.matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) {
      throw new IllegalArgumentException("option " + option + " needs an IP address, got '" + text + "'");
    }
    try {
      return InetAddress.getByName(text); // a literal: no lookup
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("option " + option + ": '" + text + "' is not an IP address");
    }
  }
}
