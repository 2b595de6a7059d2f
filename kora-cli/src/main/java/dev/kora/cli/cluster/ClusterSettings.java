package dev.kora.cli.cluster;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Where a node of a cluster listens and whom it joins, checked and completed with the defaults
 * (docs/operations.md, "Running a cluster"):
 *
 * <ul>
 *   <li>the cluster's name (default {@value #DEFAULT_NAME}): members of another name never join;
 *   <li>the cluster host (default {@value #DEFAULT_HOST}, loopback): an address of this machine that
 *       the other members reach, on which Hazelcast listens, on the cluster port (default
 *       {@value #DEFAULT_PORT}; no other port is tried), and Vert.x's clustered event bus on the bus
 *       port (default the cluster port + {@value #BUS_PORT_OFFSET});
 *   <li>the members to join, over TCP/IP ({@code HOST:PORT}; this node may be among them); host
 *       names are resolved once, when the settings are made;
 *   <li>the size, the number of nodes the cluster is configured with (which sets its quorum): by
 *       default the distinct members named, this node included.
 * </ul>
 *
 * <p>Neither Hazelcast's traffic nor the event bus is authenticated or encrypted: a cluster host
 * that is not loopback must be reachable by the cluster's nodes only ({@link #loopback()}).
 */
public final class ClusterSettings {

  /** The cluster name when none is given. */
  public static final String DEFAULT_NAME = "kora";
  /** The cluster host when none is given: loopback, so nothing beyond this machine can join. */
  public static final String DEFAULT_HOST = "127.0.0.1";
  /** The cluster (Hazelcast) port when none is given. */
  public static final int DEFAULT_PORT = 5701;
  /** The bus port when none is given is the cluster port plus this. */
  public static final int BUS_PORT_OFFSET = 1000;
  /** The largest cluster (as {@code KoraNodeOptions.setClusterSize} allows). */
  public static final int MAX_SIZE = 64;

  private final String name;
  private final String host;
  private final InetAddress address;
  private final int port;
  private final int busPort;
  private final List<ClusterMember> join;
  private final int size;

  private ClusterSettings(String name, String host, InetAddress address, int port, int busPort,
      List<ClusterMember> join, int size) {
    this.name = name;
    this.host = host;
    this.address = address;
    this.port = port;
    this.busPort = busPort;
    this.join = join;
    this.size = size;
  }

  /**
   * Checks the settings and fills in the defaults. The cluster host and the members' hosts are
   * resolved now ({@code localhost:5701} and {@code 127.0.0.1:5701} are one member).
   *
   * @param name the cluster's name; null for {@value #DEFAULT_NAME}
   * @param host the cluster host, a name or an address of this machine; null for
   *     {@value #DEFAULT_HOST}
   * @param port the cluster port; null for {@value #DEFAULT_PORT}
   * @param busPort the event bus port; null for {@code port + }{@value #BUS_PORT_OFFSET}
   * @param join the members to join; may name this node; empty for a node that starts a cluster
   *     that others join
   * @param size the number of nodes of the cluster; null for the distinct members of {@code join}
   *     with this node
   * @return the settings
   * @throws IllegalArgumentException with a message for the user: a blank name, a port outside 1 to
   *     65535, a bus port equal to the cluster port (or a default beyond 65535), a cluster host that
   *     does not resolve, is a wildcard or is not an address of this machine, a member that does not
   *     resolve, or a size outside 1 to
   *     {@value #MAX_SIZE} or smaller than the members named
   */
  public static ClusterSettings of(String name, String host, Integer port, Integer busPort,
      List<ClusterMember> join, Integer size) {
    String clusterName = name == null ? DEFAULT_NAME : name;
    if (clusterName.isBlank()) {
      throw new IllegalArgumentException("the cluster name is blank");
    }
    String clusterHost = host == null ? DEFAULT_HOST : host.strip();
    int clusterPort = port == null ? DEFAULT_PORT : port;
    checkPort("the cluster port", clusterPort);
    int eventBusPort;
    if (busPort != null) {
      eventBusPort = busPort;
      checkPort("the bus port", eventBusPort);
    } else {
      eventBusPort = clusterPort + BUS_PORT_OFFSET;
      if (eventBusPort > 65_535) {
        throw new IllegalArgumentException("the bus port defaults to the cluster port + "
            + BUS_PORT_OFFSET + ", " + eventBusPort + ", which is not a port: give the bus port");
      }
    }
    if (eventBusPort == clusterPort) {
      throw new IllegalArgumentException("the bus port and the cluster port are both "
          + clusterPort + ": they must differ");
    }
    InetAddress address = localAddress(clusterHost);
    Set<ClusterMember> resolved = new LinkedHashSet<>();
    for (ClusterMember member : join) {
      resolved.add(member.resolve());
    }
    Set<ClusterMember> members = new LinkedHashSet<>(resolved);
    members.add(new ClusterMember(address.getHostAddress(), clusterPort));
    int clusterSize = size == null ? members.size() : size;
    if (clusterSize < 1 || clusterSize > MAX_SIZE) {
      throw new IllegalArgumentException("the cluster size must be 1 to " + MAX_SIZE + ", got "
          + clusterSize);
    }
    if (clusterSize < members.size()) {
      throw new IllegalArgumentException("the cluster size " + clusterSize + " is smaller than the "
          + members.size() + " distinct members named by join and this node " + members);
    }
    return new ClusterSettings(clusterName, clusterHost, address, clusterPort, eventBusPort,
        List.copyOf(resolved), clusterSize);
  }

  /**
   * @param what the port's name in the message, e.g. {@code the cluster port}
   * @param port the port
   * @throws IllegalArgumentException when the port is not 1 to 65535
   */
  static void checkPort(String what, int port) {
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException(what + " must be 1 to 65535, got " + port);
    }
  }

  private static InetAddress localAddress(String host) {
    InetAddress address;
    try {
      address = InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("the cluster host '" + host + "' does not resolve");
    }
    if (address.isAnyLocalAddress()) {
      throw new IllegalArgumentException("the cluster host " + host + " is a wildcard: give the"
          + " address of this machine that the other members reach");
    }
    try {
      if (!address.isLoopbackAddress() && NetworkInterface.getByInetAddress(address) == null) {
        throw new IllegalArgumentException("the cluster host " + host + " ("
            + address.getHostAddress() + ") is not an address of this machine");
      }
    } catch (SocketException e) {
      throw new IllegalArgumentException("cannot list this machine's addresses: " + e.getMessage(),
          e);
    }
    return address;
  }

  /** @return the cluster's name, which members must share to join */
  public String name() {
    return name;
  }

  /** @return the cluster host as given */
  public String host() {
    return host;
  }

  /** @return the cluster host's address, on which Hazelcast and the event bus listen */
  public InetAddress address() {
    return address;
  }

  /** @return whether the cluster host is a loopback address, unreachable from other machines */
  public boolean loopback() {
    return address.isLoopbackAddress();
  }

  /** @return the port Hazelcast listens on, 1 to 65535 */
  public int port() {
    return port;
  }

  /** @return the port Vert.x's clustered event bus listens on, 1 to 65535 */
  public int busPort() {
    return busPort;
  }

  /**
   * @return the distinct members to join over TCP/IP, with addresses for host names, in the order
   *     given (this node may be among them)
   */
  public List<ClusterMember> join() {
    return join;
  }

  /** @return the number of nodes the cluster is configured with, 1 to {@value #MAX_SIZE} */
  public int size() {
    return size;
  }

  /** @return the settings in a line, e.g. for the start log */
  @Override
  public String toString() {
    return "cluster '" + name + "' of " + size + " on " + new ClusterMember(address.getHostAddress(),
        port) + " (event bus port " + busPort + "), joining " + join;
  }
}
