package dev.kora.bench;

import dev.kora.node.KoraNode;
import dev.kora.node.KoraNodeOptions;
import dev.kora.storage.Store;
import dev.kora.storage.StoreOptions;
import io.vertx.core.Vertx;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The node a scenario drives: one started in this JVM, one started in a child JVM (for clean heap and
 * RSS figures), or a running one reached by {@code --url}. Always on loopback.
 */
abstract class BenchNode implements AutoCloseable {

  private static final Pattern SYNCHRONOUS = Pattern.compile("synchronous=([A-Za-z]+)");

  /** Heap in use after a full GC and resident set size of the node's process, in bytes. */
  record Memory(long heapBytes, long rssBytes) {
  }

  abstract String host();

  /** The store URL of a node that keeps the tree in memory (nothing durable). */
  static final String MEMORY = "memory";

  abstract int port();

  /** @return e.g. {@code in-process}, {@code child process 1234}, {@code remote} */
  abstract String mode();

  /** @return the store's description, e.g. {@code sqlite:/tmp/x/kora.db?table=kora&synchronous=FULL} */
  abstract String store();

  /** @return the node's memory after GC, or null when it cannot be measured (remote node) */
  Memory memory() {
    return null;
  }

  /**
   * @return CPU time the node's process has used so far (user + system), in ns; -1 when unknown.
   *     For a node in this JVM it is this JVM's, clients included.
   */
  long cpuNanos() {
    return -1;
  }

  /** @return the node's process id when it runs in a child process, else -1 */
  long pid() {
    return -1;
  }

  /** @return whether {@link #cpuNanos()} counts the node alone (a child process) */
  boolean cpuIsNodeOnly() {
    return false;
  }

  /** @return the node's open store when it runs in this JVM, else null */
  Store localStore() {
    return null;
  }

  /** @return the node's store URL when this run chose it (in-process or child), else null */
  String storeUrl() {
    return null;
  }

  @Override
  public abstract void close();

  /** @return the durability level stated next to write figures */
  String durability() {
    return durability(store());
  }

  static String durability(String storeDescription) {
    if (storeDescription.startsWith("sqlite:")) {
      Matcher m = SYNCHRONOUS.matcher(storeDescription);
      return "SQLite WAL, synchronous=" + (m.find() ? m.group(1).toUpperCase() : "FULL")
          + " (fsync per group commit)";
    }
    if (storeDescription.startsWith(MEMORY)) {
      return "none (memory store)";
    }
    return "unknown";
  }

  String url() {
    return "ws://" + host() + ":" + port() + "/socket";
  }

  /**
   * Starts (or reaches) the node a scenario drives.
   *
   * @param options the shared options
   * @param defaultMode {@code in} or {@code process}, used when {@code --node} is not given
   * @param temp the run's temp folder, where the default SQLite file goes
   */
  static BenchNode start(BenchOptions options, String defaultMode, TempDir temp) throws Exception {
    if (options.url != null) {
      return new Remote(options.url);
    }
    return start(options, defaultMode, options.store != null ? StoreBaseline.scratch(options.store)
        : "sqlite:" + temp.path().resolve("kora.db"));
  }

  /**
   * Starts a node on a given store, whatever {@code --store} says (e.g. {@code memory}, for the
   * node's own share of a write's time).
   *
   * @param options the shared options
   * @param defaultMode {@code in} or {@code process}, used when {@code --node} is not given
   * @param storeUrl the node's store, e.g. {@code memory} or {@code sqlite:/tmp/x/kora.db}
   */
  static BenchNode start(BenchOptions options, String defaultMode, String storeUrl)
      throws Exception {
    String mode = options.node != null ? options.node : defaultMode;
    switch (mode) {
      case "in":
        return InProcess.start(storeUrl, options.changeLogOn(), options.rules);
      case "process":
        return Child.start(storeUrl, options.nodeJavaOpts, options.changeLogOn(), options.rules);
      default:
        throw new IllegalArgumentException("--node must be 'in' or 'process', got " + mode);
    }
  }

  /** Checks that a URL points at this machine. */
  static URI checkLoopback(String url) throws IOException {
    URI uri = URI.create(url);
    if (!"ws".equals(uri.getScheme()) || uri.getHost() == null) {
      throw new IllegalArgumentException("--url must look like ws://127.0.0.1:12000/socket, got " + url);
    }
    if (!InetAddress.getByName(uri.getHost()).isLoopbackAddress()) {
      throw new IllegalArgumentException("kora bench only targets loopback addresses, got "
          + uri.getHost());
    }
    return uri;
  }

  /** A node deployed in this JVM on its own Vert.x instance (the clients use another one). */
  static final class InProcess extends BenchNode {
    private final Vertx vertx;
    private final KoraNode node;
    private final String storeUrl;

    private InProcess(Vertx vertx, KoraNode node, String storeUrl) {
      this.vertx = vertx;
      this.node = node;
      this.storeUrl = storeUrl;
    }

    static InProcess start(String storeUrl, boolean changeLog, String rules) {
      Vertx vertx = NodeMain.vertx();
      try {
        KoraNode node = KoraNode.deploy(vertx, NodeMain.options(storeUrl, changeLog)
            .setRules(rules)).await();
        return new InProcess(vertx, node, storeUrl);
      } catch (RuntimeException e) {
        vertx.close().await();
        throw e;
      }
    }

    @Override
    String host() {
      return "127.0.0.1";
    }

    @Override
    int port() {
      return node.actualPort();
    }

    @Override
    String mode() {
      return "in-process, " + NodeMain.transport(vertx) + " transport";
    }

    @Override
    String store() {
      return node.store().describe();
    }

    @Override
    Store localStore() {
      return node.store();
    }

    @Override
    long cpuNanos() {
      return Machine.processCpuNanos();
    }

    @Override
    String storeUrl() {
      return storeUrl;
    }

    KoraNode node() {
      return node;
    }

    @Override
    public void close() {
      vertx.close().await();
    }
  }

  /**
   * A node in a process this run started, on 127.0.0.1: its CPU time is the process's alone.
   */
  abstract static class OwnProcess extends BenchNode {
    final Process process;
    private final int port;
    private final String storeUrl;

    /**
     * @param process the node's process
     * @param port the node's port on 127.0.0.1
     * @param storeUrl its store's URL, or null when the node chose it
     */
    OwnProcess(Process process, int port, String storeUrl) {
      this.process = process;
      this.port = port;
      this.storeUrl = storeUrl;
    }

    @Override
    String host() {
      return "127.0.0.1";
    }

    @Override
    int port() {
      return port;
    }

    @Override
    String storeUrl() {
      return storeUrl;
    }

    @Override
    long pid() {
      return process.pid();
    }

    @Override
    long cpuNanos() {
      return process.toHandle().info().totalCpuDuration().map(d -> d.toNanos()).orElse(-1L);
    }

    @Override
    boolean cpuIsNodeOnly() {
      return true;
    }

    /** @return the process's resident set size now, in bytes, or -1 when unknown */
    long rssBytes() {
      return Machine.rssBytes(process.pid());
    }
  }

  /** A node in a child JVM ({@link NodeMain}), driven through its standard input and output. */
  static final class Child extends OwnProcess {
    private final BufferedReader out;
    private final Writer in;
    private final String transport;
    private final String store;

    private Child(Process process, BufferedReader out, Writer in, int port, String transport,
        String store, String storeUrl) {
      super(process, port, storeUrl);
      this.transport = transport;
      this.out = out;
      this.in = in;
      this.store = store;
    }

    static Child start(String storeUrl, String javaOpts, boolean changeLog, String rules)
        throws IOException {
      List<String> command = Machine.nodeJavaCommand(javaOpts);
      command.addAll(List.of("-cp", System.getProperty("java.class.path"),
          NodeMain.class.getName(), storeUrl, changeLog ? "change-log" : "no-change-log"));
      if (rules != null) {
        command.add(java.nio.file.Path.of(rules).toAbsolutePath().toString());
      }
      Process process = new ProcessBuilder(command)
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8));
      Writer in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
      // A node that neither starts nor fails within 2 minutes is stopped (readLine then ends).
      Thread watchdog = new Thread(() -> {
        try {
          Thread.sleep(120_000);
          process.destroyForcibly();
        } catch (InterruptedException e) {
          // started in time
        }
      }, "kora-bench-node-watchdog");
      watchdog.setDaemon(true);
      watchdog.start();
      String line;
      while ((line = out.readLine()) != null && !line.startsWith("ready ")
          && !line.startsWith("failed ")) {
        System.err.println(line);
      }
      watchdog.interrupt();
      if (line == null || line.startsWith("failed ")) {
        process.destroyForcibly();
        throw new IOException("the node process did not start: " + line);
      }
      String[] parts = line.split(" ", 4);
      return new Child(process, out, in, Integer.parseInt(parts[1]), parts[2], parts[3], storeUrl);
    }

    @Override
    String mode() {
      return "child process " + process.pid() + ", " + transport + " transport";
    }

    @Override
    String store() {
      return store;
    }

    @Override
    synchronized Memory memory() {
      try {
        in.write("mem\n");
        in.flush();
        String line;
        while ((line = out.readLine()) != null && !line.startsWith("mem ")) {
          System.err.println(line);
        }
        if (line == null) {
          throw new IOException("unexpected answer from the node process: " + line);
        }
        String[] parts = line.split(" ");
        return new Memory(Long.parseLong(parts[1]), Long.parseLong(parts[2]));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public synchronized void close() {
      try {
        in.write("stop\n");
        in.flush();
      } catch (IOException e) {
        // already gone
      }
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A running node reached by {@code --url}: nothing about its memory or store is known. */
  static final class Remote extends BenchNode {
    private final URI uri;

    Remote(String url) throws IOException {
      this.uri = checkLoopback(url);
    }

    @Override
    String host() {
      return uri.getHost();
    }

    @Override
    int port() {
      return uri.getPort() < 0 ? 80 : uri.getPort();
    }

    @Override
    String url() {
      return uri.toString();
    }

    @Override
    String mode() {
      return "remote " + uri;
    }

    @Override
    String store() {
      return "unknown (remote node)";
    }

    @Override
    public void close() {
    }
  }

  /** A temp folder deleted with everything in it at close. */
  static final class TempDir implements AutoCloseable {
    private final Path path;

    TempDir() throws IOException {
      this.path = java.nio.file.Files.createTempDirectory("kora-bench-");
    }

    Path path() {
      return path;
    }

    @Override
    public void close() {
      try (var files = java.nio.file.Files.walk(path)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // best effort
      }
    }
  }
}
