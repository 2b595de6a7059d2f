package dev.kora.bench;

import dev.kora.cli.KoraCommand;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Option;

/**
 * How the load tool launches the {@code kora} command line in a process of its own, as it is
 * deployed: the command ({@code java -jar} the kora-cli jar, or this tool's class path), free
 * loopback ports for the nodes, and whether a port accepts connections yet. As a mixin it is the
 * {@code --jar} option of the scenarios that launch {@code kora serve}.
 */
final class CliLauncher {

  /** The lowest port {@link #freePort} chooses. */
  private static final int LOWEST_PORT = 10_000;

  /** The ports {@link #freePort} has chosen in this JVM. */
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  @Option(names = "--jar", paramLabel = "JAR", defaultValue = "kora-cli/target/kora.jar",
      description = "The kora-cli jar whose 'kora serve' runs the node(s), with java -jar"
          + " (default: ${DEFAULT-VALUE}; if missing, this tool's class path).")
  File jar;

  /**
   * @param javaOpts JVM options of the node's JVM, blank for none; they follow Kora's default JVM
   *     options ({@link dev.kora.cli.JvmOptions}), as {@code KORA_JAVA_OPTS} does in the launcher
   * @return {@code java DEFAULTS [OPTS] -jar JAR serve}, or with this tool's class path when
   *     {@code --jar} is not a file; the caller appends the options of {@code kora serve}
   */
  List<String> serve(String javaOpts) {
    return command(jar.isFile() ? jar : null, javaOpts, "serve");
  }

  /**
   * @return the command {@link #serve} makes, for a report: {@code java -jar JAR serve}, or with
   *     this tool's class path named, not listed
   */
  String describeServe() {
    return jar.isFile() ? "java -jar " + jar.getPath() + " serve"
        : "java -cp (kora bench's class path) " + KoraCommand.class.getName() + " serve";
  }

  /**
   * @param jar the kora-cli jar, or null for this tool's class path
   * @param javaOpts JVM options, blank for none; they follow Kora's default JVM options
   * @param subcommand e.g. {@code serve}, {@code import}
   * @return {@code java DEFAULTS [OPTS] -jar JAR SUBCOMMAND} or
   *     {@code java DEFAULTS [OPTS] -cp CLASSPATH KoraCommand SUBCOMMAND}
   */
  static List<String> command(File jar, String javaOpts, String subcommand) {
    List<String> command = Machine.nodeJavaCommand(javaOpts);
    if (jar != null) {
      command.addAll(List.of("-jar", jar.getPath()));
    } else {
      command.addAll(List.of("-cp", System.getProperty("java.class.path"),
          KoraCommand.class.getName()));
    }
    command.add(subcommand);
    return command;
  }

  /**
   * A port nothing listens on now, on 127.0.0.1, below the kernel's range of ephemeral ports
   * ({@code /proc/sys/net/ipv4/ip_local_port_range}): a node binds its ports seconds after they
   * are chosen (a cluster member once Hazelcast has started), and a port of that range could be
   * taken meanwhile as the local port of an outgoing connection (the tool's, the members', the
   * store's). Never the same port twice in this JVM.
   *
   * @return the port
   */
  static int freePort() throws IOException {
    int below = Machine.ephemeralPorts()[0];
    for (int attempt = 0; attempt < 200 && below > LOWEST_PORT + 1_000; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(LOWEST_PORT, below);
      if (HANDED_OUT.add(port) && bindable(port)) {
        return port;
      }
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress("127.0.0.1", 0));
      return socket.getLocalPort();
    }
  }

  private static boolean bindable(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress("127.0.0.1", port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** @return whether a TCP connection to 127.0.0.1:{@code port} is accepted within 100 ms */
  static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 100);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
