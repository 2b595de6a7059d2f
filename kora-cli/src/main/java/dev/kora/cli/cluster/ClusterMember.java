package dev.kora.cli.cluster;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * One member a node contacts to join its cluster: a host (a name, an IPv4 address, or an IPv6
 * address) and the member's Hazelcast port, written {@code HOST:PORT} ({@code [v6]:PORT} for IPv6).
 *
 * @param host the host name or address, without brackets
 * @param port the member's Hazelcast port, 1 to 65535
 */
public record ClusterMember(String host, int port) {

  /**
   * @throws IllegalArgumentException when the host is blank or the port is not 1 to 65535
   */
  public ClusterMember {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("a cluster member needs a host");
    }
    ClusterSettings.checkPort("the port of member " + host, port);
  }

  /**
   * Reads {@code HOST:PORT} or {@code [IPV6]:PORT}; the port is required, as members do not try the
   * ports after the one given.
   *
   * @param text the member as written, e.g. {@code 10.0.0.7:5701}
   * @return the member
   * @throws IllegalArgumentException when the text is not of that form, naming the text
   */
  public static ClusterMember parse(String text) {
    String written = text == null ? "" : text.strip();
    int colon = written.lastIndexOf(':');
    String host = colon < 0 ? "" : written.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      host = ""; // an IPv6 address needs its brackets, or its last group would read as the port
    }
    String port = colon < 0 ? "" : written.substring(colon + 1);
    if (host.isBlank() || !port.matches("[0-9]{1,5}")) {
      throw new IllegalArgumentException("'" + written + "' is not HOST:PORT (e.g. 10.0.0.7:5701,"
          + " [fd00::7]:5701)");
    }
    try {
      return new ClusterMember(host, Integer.parseInt(port));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + written + "': " + e.getMessage(), e);
    }
  }

  /**
   * Resolves the host, once: Hazelcast is given addresses, as it keeps a member named by a host
   * name only when the name's address matches the interface it listens on.
   *
   * @return this member with its host's address in place of its name
   * @throws IllegalArgumentException when the host does not resolve
   */
  ClusterMember resolve() {
    try {
      return new ClusterMember(InetAddress.getByName(host).getHostAddress(), port);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("the member " + this + " does not resolve");
    }
  }

  /** @return {@code HOST:PORT}, with an IPv6 address in brackets, as Hazelcast reads it */
  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
