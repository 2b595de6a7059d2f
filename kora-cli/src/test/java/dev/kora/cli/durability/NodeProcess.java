package dev.kora.cli.durability;

import dev.kora.cli.KoraCommand;
import dev.kora.testkit.ChildJvm;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Kora node in its own JVM ({@code kora serve} from the test class path, a {@link ChildJvm}), so a
 * test can kill it with SIGKILL like a crash and start it again on the same store, or bound its memory
 * and watch it under hostile traffic.
 */
public final class NodeProcess implements AutoCloseable {

  private final ChildJvm child;
  private final File stderr;
  /** The port the node listens on. */
  public final int port;

  private NodeProcess(ChildJvm child, File stderr, int port) {
    this.child = child;
    this.stderr = stderr;
    this.port = port;
  }

  /**
   * Starts {@code kora serve --port <free> --store <url>} and waits until it accepts connections.
   *
   * @param storeUrl the store
   * @param waitSeconds how long to wait for the port
   * @return the running node
   */
  static NodeProcess start(String storeUrl, int waitSeconds) throws IOException, InterruptedException {
    return start(storeUrl, waitSeconds, List.of("-Xmx512m"));
  }

  /**
   * Starts {@code kora serve --port <free> --store <url>} and waits until it accepts connections.
   *
   * @param storeUrl the store
   * @param waitSeconds how long to wait for the port
   * @param jvmOptions the node JVM's options, e.g. {@code -Xmx256m}
   * @return the running node
   */
  public static NodeProcess start(String storeUrl, int waitSeconds, List<String> jvmOptions)
      throws IOException, InterruptedException {
    return start(storeUrl, freePort(), waitSeconds, jvmOptions, List.of());
  }

  /** @return a TCP port nothing listens on now */
  public static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /**
   * Starts {@code kora serve --port PORT --store URL [more...]} and waits until it accepts
   * connections: a node that comes back on the same port after a crash, or that loads plugins.
   *
   * @param storeUrl the store
   * @param port the port, e.g. the one a killed node listened on
   * @param waitSeconds how long to wait for the port
   * @param jvmOptions the node JVM's options
   * @param more further arguments of {@code kora serve}, e.g. {@code --lib DIR}
   * @return the running node
   */
  public static NodeProcess start(String storeUrl, int port, int waitSeconds,
      List<String> jvmOptions, List<String> more) throws IOException, InterruptedException {
    File stderr = Files.createTempFile("kora-node-process", ".log").toFile();
    List<String> arguments = new java.util.ArrayList<>(List.of("serve", "--port",
        String.valueOf(port), "--store", storeUrl));
    arguments.addAll(more);
    ChildJvm child = ChildJvm.start(jvmOptions, ChildJvm.testClassPath(), stderr,
        KoraCommand.class.getName(), arguments.toArray(new String[0]));
    NodeProcess node = new NodeProcess(child, stderr, port);
    Process process = child.process();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the node exited with " + process.exitValue() + ":\n"
            + node.output());
      }
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return node;
      } catch (IOException notYet) {
        Thread.sleep(50);
      }
    }
    node.kill();
    throw new IllegalStateException("the node did not listen within " + waitSeconds + " s:\n"
        + node.output());
  }

  /** Kills the node with SIGKILL, as a crash would, and waits for it to be gone. */
  public void kill() throws InterruptedException {
    child.process().destroyForcibly();
    child.process().waitFor(30, TimeUnit.SECONDS);
  }

  /** @return the node's process */
  public Process process() {
    return child.process();
  }

  /** @return what the node printed so far: its standard output, then (the end of) its errors */
  public String output() {
    return String.join("\n", child.lines()) + "\n" + child.stderrText();
  }

  /**
   * @return every line the node logged so far (its standard error, whole: {@link #output()} keeps
   *     only its end)
   */
  public List<String> logLines() throws IOException {
    return new String(Files.readAllBytes(stderr.toPath()), StandardCharsets.UTF_8).lines().toList();
  }

  @Override
  public void close() throws InterruptedException {
    Process process = child.process();
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        kill();
      }
    }
    stderr.delete();
  }
}
