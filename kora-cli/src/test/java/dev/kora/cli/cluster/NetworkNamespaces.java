package dev.kora.cli.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Hosts for a test on one machine: network namespaces that this object creates (with
 * {@code ip netns add}), each with one address on a private /24 subnet, joined by a bridge in the
 * test's own namespace, which also has an address there (the test reaches the hosts, and they reach
 * it, through the bridge). Traffic stays on this machine. {@link #cut} isolates one host from the
 * others by blackhole routes on both sides (each host still reaches the test's address);
 * {@link #heal} removes them; {@link #close} deletes everything it made. Needs root and iproute2.
 */
final class NetworkNamespaces implements AutoCloseable {

  private static final long COMMAND_TIMEOUT_SECONDS = 10;

  private final String prefix;
  private final String subnet;
  private final int hosts;
  private final List<String> routes = new ArrayList<>();
  private boolean bridgeMade;
  private int namespacesMade;

  /**
   * Creates the bridge and {@code hosts} namespaces.
   *
   * @param hosts how many hosts, 1 to 200
   * @throws IOException when a command fails (e.g. not root): what it printed is in the message
   */
  NetworkNamespaces(int hosts) throws IOException {
    this.hosts = hosts;
    int tag = ThreadLocalRandom.current().nextInt(1, 250);
    this.prefix = "kt" + Integer.toString(tag, 36) + Long.toString(ProcessHandle.current().pid()
        % 1296, 36);
    this.subnet = "10.213." + tag;
    try {
      run("ip", "link", "add", bridge(), "type", "bridge");
      bridgeMade = true;
      run("ip", "addr", "add", hostAddress() + "/24", "dev", bridge());
      run("ip", "link", "set", bridge(), "up");
      for (int i = 0; i < hosts; i++) {
        String namespace = namespace(i);
        run("ip", "netns", "add", namespace);
        namespacesMade++;
        run("ip", "link", "add", outside(i), "type", "veth", "peer", "name", "eth0", "netns",
            namespace);
        run("ip", "link", "set", outside(i), "master", bridge());
        run("ip", "link", "set", outside(i), "up");
        run("ip", "netns", "exec", namespace, "ip", "addr", "add", address(i) + "/24", "dev",
            "eth0");
        run("ip", "netns", "exec", namespace, "ip", "link", "set", "eth0", "up");
        run("ip", "netns", "exec", namespace, "ip", "link", "set", "lo", "up");
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /** @return the test's own address on the subnet (on the bridge), e.g. {@code 10.213.7.254} */
  String hostAddress() {
    return subnet + ".254";
  }

  /**
   * @param host a host's index
   * @return its address, e.g. {@code 10.213.7.1} for host 0
   */
  String address(int host) {
    return subnet + "." + (host + 1);
  }

  /**
   * @param host a host's index
   * @return the command prefix that runs a command inside its namespace
   */
  List<String> exec(int host) {
    return List.of("ip", "netns", "exec", namespace(host));
  }

  /**
   * Cuts one host off from every other host (not from the test's address): packets between them
   * are dropped, as in a network partition.
   *
   * @param host the host to isolate
   */
  void cut(int host) throws IOException {
    for (int other = 0; other < hosts; other++) {
      if (other != host) {
        blackhole(host, address(other));
        blackhole(other, address(host));
      }
    }
  }

  /** Removes every cut: the hosts reach each other again. */
  void heal() throws IOException {
    for (String route : new ArrayList<>(routes)) {
      String[] parts = route.split(" ");
      run("ip", "netns", "exec", parts[0], "ip", "route", "del", "blackhole", parts[1]);
      routes.remove(route);
    }
  }

  private void blackhole(int host, String to) throws IOException {
    run("ip", "netns", "exec", namespace(host), "ip", "route", "add", "blackhole", to + "/32");
    routes.add(namespace(host) + " " + to + "/32");
  }

  @Override
  public void close() {
    for (int i = 0; i < namespacesMade; i++) {
      quietly("ip", "netns", "del", namespace(i)); // removes its veth pair too
    }
    namespacesMade = 0;
    if (bridgeMade) {
      quietly("ip", "link", "del", bridge());
      bridgeMade = false;
    }
  }

  private String bridge() {
    return prefix + "br";
  }

  private String namespace(int host) {
    return prefix + "n" + host;
  }

  private String outside(int host) {
    return prefix + "v" + host;
  }

  private static void quietly(String... command) {
    try {
      run(command);
    } catch (IOException | RuntimeException e) {
      // cleaning up: what is left is named in the namespace list and the links
    }
  }

  private static void run(String... command) throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      if (!process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish within "
            + COMMAND_TIMEOUT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    if (process.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed (" + process.exitValue() + "): "
          + new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
    }
  }
}
