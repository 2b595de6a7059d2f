package dev.kora.node.durability;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Kora node in its own JVM ({@code kora serve} from the test class path), so a test can kill it with
 * SIGKILL like a crash and start it again on the same store.
 */
final class NodeProcess implements AutoCloseable {

  private final Process process;
  private final File log;
  final int port;

  private NodeProcess(Process process, File log, int port) {
    this.process = process;
    this.log = log;
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
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    File log = Files.createTempFile("kora-node-process", ".log").toFile();
    List<String> command = new ArrayList<>();
    command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    command.add("-Xmx512m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("dev.kora.node.cli.KoraCommand");
    command.add("serve");
    command.add("--port");
    command.add(String.valueOf(port));
    command.add("--store");
    command.add(storeUrl);
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(log).start();
    NodeProcess node = new NodeProcess(process, log, port);
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
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** @return what the node printed so far */
  String output() {
    try {
      return Files.readString(log.toPath(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        kill();
      }
    }
    log.delete();
  }
}
