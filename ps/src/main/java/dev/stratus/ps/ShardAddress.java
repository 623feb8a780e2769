package dev.stratus.ps;

import java.net.InetSocketAddress;

/**
 * A shard's address as people and messages write it: {@code HOST:PORT}, an IPv6 host in brackets
 * ({@code [2001:db8::7]:7070}), as {@code --psEndpoints}, a shard's {@code --advertise} and a worker's task name it.
 * Parsed addresses stay unresolved: whoever dials the shard looks the name up, in its own network.
 */
public final class ShardAddress {
  private ShardAddress() {}

  /**
   * {@code text} as an unresolved address.
   *
   * @throws IllegalArgumentException naming the text and the form it should have
   */
  public static InetSocketAddress parse(String text) {
    String trimmed = text.trim();
    int colon = trimmed.lastIndexOf(':');
    String host = colon < 1 ? "" : trimmed.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = host.isEmpty() ? -1 : Integer.parseInt(trimmed.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException("'" + text + "' is not HOST:PORT (an IPv6 host in brackets, PORT 1 to 65535)");
    }
    return InetSocketAddress.createUnresolved(host, port);
  }

  /** {@code address} as {@link #parse} reads it back. */
  public static String format(InetSocketAddress address) {
    String host = address.getHostString();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }
}
