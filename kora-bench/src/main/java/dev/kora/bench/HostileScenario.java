package dev.kora.bench;

import dev.kora.protocol.Action;
import dev.kora.protocol.Dialect;
import dev.kora.testkit.RawWebSocket;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code hostile}: what one careless or hostile client costs everybody else. A well-behaved client
 * writes one leaf at a fixed rate the whole time and its latency is measured from the moment each write
 * was due (no coordinated omission); the run goes through phases of {@code --duration} seconds, a quiet
 * one first, then one per abuse running beside the writer:
 *
 * <ul>
 *   <li>{@code ping-flood}: a connection sending masked pings without ever reading;</li>
 *   <li>{@code sse-no-read}: an SSE stream never read while 64 KiB values are written under it;</li>
 *   <li>{@code half-open}: connections that send half an upgrade request and nothing more;</li>
 *   <li>{@code big-subscribe}: 8 pipelined subscribes of a large subtree, never read;</li>
 *   <li>{@code large-frame}: two mutations of {@code --large-leaves} leaves (a million: about 13 MB
 *       each);</li>
 *   <li>{@code cast-flood}: a connection casting mutations as fast as it can.</li>
 * </ul>
 *
 * <p>Per phase: the writer's p50/p99/max and its failed or unanswered writes, and the node's RSS at the
 * end of the phase (a node in a child JVM). Every abuse is bounded in time (the phase) and in count.
 */
@Command(name = "hostile", mixinStandardHelpOptions = true,
    description = "Write latency of a well-behaved client while abusive clients run beside it.")
final class HostileScenario implements Callable<Integer> {

  private static final String MUTATION = Action.MUTATION.wireName(Dialect.KORA);
  private static final String SUBSCRIBE = Action.SUBSCRIBE.wireName(Dialect.KORA);

  @Mixin
  BenchOptions options;

  @Option(names = "--rate", defaultValue = "200",
      description = "Writes per second of the well-behaved client (default: ${DEFAULT-VALUE}).")
  int rate;

  @Option(names = "--abuses", split = ",", defaultValue =
      "ping-flood,sse-no-read,half-open,big-subscribe,large-frame,cast-flood",
      description = "Abuses to run, one phase each (default: ${DEFAULT-VALUE}).")
  List<String> abuses;

  @Option(names = "--seed-leaves", defaultValue = "200000",
      description = "Leaves of the subtree big-subscribe reads (default: ${DEFAULT-VALUE}).")
  int seedLeaves;

  @Option(names = "--half-open", defaultValue = "2000",
      description = "Connections half-open-handshake opens (default: ${DEFAULT-VALUE}).")
  int halfOpen;

  @Option(names = "--large-leaves", defaultValue = "1000000",
      description = "Leaves of each large-frame mutation (default: ${DEFAULT-VALUE}).")
  int largeLeaves;

  @Override
  public Integer call() throws Exception {
    options.check();
    Result result = new Result("hostile");
    Machine.describe(result);
    result.put("rate_per_s", rate).put("phase_seconds", Result.round(options.durationNanos() / 1e9));
    try (BenchNode.TempDir temp = new BenchNode.TempDir();
        BenchNode node = BenchNode.start(options, "process", temp);
        Clients sockets = new Clients(4)) {
      result.put("node", node.mode()).put("store", node.store());
      Writer writer = new Writer(sockets.connect(node).await().socket(), sockets.vertx());
      if (abuses.contains("big-subscribe")) {
        seed(node, sockets);
      }
      options.log("hostile: warming up %d s at %d writes/s", options.warmupNanos() / 1_000_000_000,
          rate);
      writer.start();
      WriteScenario.sleepUntil(System.nanoTime() + options.warmupNanos());
      phase(result, "quiet", node, writer, null);
      for (String abuse : abuses) {
        phase(result, abuse.replace('-', '_'), node, writer, abuse(abuse, node, sockets));
      }
      writer.stop();
    }
    result.put("load_average_1m_end", Machine.loadAverage());
    result.note("per phase: the writer's latency from each write's due time; errors = refused or"
        + " unanswered writes; rss = the node's resident memory at the end of the phase");
    result.print(System.out, options.json);
    return 0;
  }

  private void phase(Result result, String name, BenchNode node, Writer writer, Abuse abuse)
      throws Exception {
    options.log("hostile: phase %s", name);
    writer.recorder.getIntervalHistogram();
    long errorsBefore = writer.errors.get();
    long from = System.nanoTime();
    if (abuse != null) {
      abuse.start();
    }
    WriteScenario.sleepUntil(from + options.durationNanos());
    long rss = node.pid() > 0 ? Machine.rssBytes(node.pid()) : -1;
    if (abuse != null) {
      abuse.stop();
    }
    // writes still unanswered at the end of the phase count against it
    long late = writer.unanswered(System.nanoTime() - 5_000_000_000L);
    Histogram histogram = writer.recorder.getIntervalHistogram();
    Latency.put(result, name + "_", histogram);
    result.put(name + "_errors", writer.errors.get() - errorsBefore + late);
    result.put(name + "_rss_bytes", rss < 0 ? null : rss);
    // let the node recover before the next phase, unmeasured
    WriteScenario.sleepUntil(System.nanoTime() + 2_000_000_000L);
    writer.recorder.getIntervalHistogram();
  }

  /** Writes the subtree big-subscribe reads, 5,000 leaves per mutation. */
  private void seed(BenchNode node, Clients sockets) throws Exception {
    options.log("hostile: seeding %,d leaves under hostile/big", seedLeaves);
    Rpc rpc = new Rpc(sockets.connect(node).await());
    for (int from = 0; from < seedLeaves; from += 5_000) {
      StringBuilder body = new StringBuilder("{\"merge\":{\"hostile\":{\"big\":{");
      for (int i = from; i < Math.min(seedLeaves, from + 5_000); i++) {
        body.append(i == from ? "" : ",").append("\"k").append(i).append("\":\"v").append(i)
            .append('"');
      }
      rpc.await(MUTATION, body.append("}}}}").toString());
    }
  }

  private Abuse abuse(String name, BenchNode node, Clients sockets) {
    String host = node.host();
    int port = node.port();
    switch (name) {
      case "ping-flood":
        return new Abuse(name, 1, () -> {
          byte[] payload = new byte[125];
          try (RawWebSocket socket = RawWebSocket.connect(port)) {
            return abuseLoop(socket, () -> socket.writeFrame(true, RawWebSocket.PING, payload));
          }
        });
      case "sse-no-read":
        return new Abuse(name, 1, () -> {
          try (RawWebSocket stream = RawWebSocket.open(port)) {
            raw(stream, "GET /tree/hostile/sse HTTP/1.1\r\nHost: " + host + ":" + port
                + "\r\nAccept: text/event-stream\r\n\r\n");
            Rpc feeder = new Rpc(sockets.connect(node).await());
            String value = "x".repeat(64 * 1024);
            return abuseLoop(stream, () -> {
              feeder.await(MUTATION, "{\"merge\":{\"hostile\":{\"sse\":{\"v\":\"" + value
                  + System.nanoTime() + "\"}}}}");
            });
          }
        });
      case "half-open":
        return new Abuse(name, 1, () -> {
          List<RawWebSocket> open = new ArrayList<>();
          try {
            for (int i = 0; i < halfOpen && !Thread.currentThread().isInterrupted(); i++) {
              RawWebSocket socket = RawWebSocket.open(port);
              open.add(socket);
              raw(socket, "GET /socket HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\n");
            }
            while (!Thread.currentThread().isInterrupted()) {
              Thread.sleep(100);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            open.forEach(RawWebSocket::close);
          }
          return (long) open.size();
        });
      case "big-subscribe":
        return new Abuse(name, 1, () -> {
          try (RawWebSocket socket = RawWebSocket.connect(port)) {
            for (int i = 1; i <= 8; i++) {
              text(socket, "{\"type\":\"call\",\"key\":" + i + ",\"action\":\"" + SUBSCRIBE
                  + "\",\"body\":{\"hostile\":{\"big\":{}}}}");
            }
            return abuseLoop(socket, () -> Thread.sleep(100));
          }
        });
      case "large-frame":
        return new Abuse(name, 1, () -> {
          StringBuilder frame = new StringBuilder(14 * largeLeaves + 100).append("{\"type\":\"cast\",\"action\":\"")
              .append(MUTATION).append("\",\"body\":{\"merge\":{\"hostile\":{\"large\":{");
          for (int i = 0; i < largeLeaves; i++) {
            frame.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":1");
          }
          byte[] bytes = frame.append("}}}}}").toString().getBytes(StandardCharsets.UTF_8);
          AtomicLong sent = new AtomicLong();
          try (RawWebSocket socket = RawWebSocket.connect(port)) {
            return abuseLoop(socket, () -> {
              if (sent.incrementAndGet() <= 2) {
                socket.writeFrame(true, RawWebSocket.TEXT, bytes);
              } else {
                Thread.sleep(100);
              }
            });
          }
        });
      case "cast-flood":
        return new Abuse(name, 1, () -> {
          try (RawWebSocket socket = RawWebSocket.connect(port)) {
            AtomicLong n = new AtomicLong();
            return abuseLoop(socket, () -> text(socket, "{\"type\":\"cast\",\"action\":\"" + MUTATION
                + "\",\"body\":{\"merge\":{\"hostile\":{\"cast\":{\"k" + (n.incrementAndGet() % 100_000)
                + "\":1}}}}}"));
          }
        });
      default:
        throw new IllegalArgumentException("unknown abuse '" + name + "'; see --help");
    }
  }

  private static void raw(RawWebSocket socket, String text) throws java.io.IOException {
    socket.writeRaw(text.getBytes(StandardCharsets.UTF_8));
  }

  private static void text(RawWebSocket socket, String message) throws java.io.IOException {
    socket.writeFrame(true, RawWebSocket.TEXT, message.getBytes(StandardCharsets.UTF_8));
  }

  /** One step of an abuse; may block (a write the node does not read). */
  @FunctionalInterface
  private interface Step {
    void run() throws Exception;
  }

  /** Repeats a step until the phase ends (the thread is interrupted) or the node drops the socket. */
  private static long abuseLoop(RawWebSocket socket, Step step) {
    long steps = 0;
    try {
      while (!Thread.currentThread().isInterrupted() && steps < 100_000_000L) {
        step.run();
        steps++;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // the node closed the connection, or stop() closed it under a blocked write
    }
    return steps;
  }

  /** An abuse on its own threads; stopping interrupts them and closes what they opened. */
  private static final class Abuse {
    private final String name;
    private final int threads;
    private final Callable<Long> body;
    private final List<Thread> running = new ArrayList<>();

    Abuse(String name, int threads, Callable<Long> body) {
      this.name = name;
      this.threads = threads;
      this.body = body;
    }

    void start() {
      for (int i = 0; i < threads; i++) {
        Thread thread = new Thread(() -> {
          try {
            body.call();
          } catch (Exception e) {
            System.err.println("kora-bench: hostile: " + name + " stopped: " + e);
          }
        }, "hostile-" + name + "-" + i);
        thread.setDaemon(true);
        running.add(thread);
        thread.start();
      }
    }

    void stop() throws InterruptedException {
      running.forEach(Thread::interrupt);
      for (Thread thread : running) {
        thread.join(10_000);
      }
    }
  }

  /**
   * The well-behaved client: one connection, one single-leaf mutation due every 1/rate s, latency
   * measured from the due time to the reply.
   */
  private final class Writer {
    final Recorder recorder = Latency.recorder();
    final AtomicLong errors = new AtomicLong();
    private final WebSocket socket;
    private final Vertx vertx;
    private final Map<Long, Long> dueAt = new ConcurrentHashMap<>();
    private long timer;
    private long started;
    private long sent;

    Writer(WebSocket socket, Vertx vertx) {
      this.socket = socket;
      this.vertx = vertx;
      socket.textMessageHandler(this::onText);
      socket.exceptionHandler(e -> { });
    }

    void start() {
      started = System.nanoTime();
      timer = vertx.setPeriodic(1, id -> {
        long due = (long) ((System.nanoTime() - started) * rate / 1e9);
        while (sent < due) {
          long key = ++sent;
          long dueNanos = started + (long) (key * 1e9 / rate);
          dueAt.put(key, dueNanos);
          socket.writeTextMessage("{\"type\":\"call\",\"key\":" + key + ",\"action\":\"" + MUTATION
              + "\",\"body\":{\"merge\":{\"hostile\":{\"w\":{\"k" + (key % 10_000) + "\":" + key
              + "}}}}}");
        }
      });
    }

    void stop() {
      vertx.cancelTimer(timer);
    }

    /** @return writes due before {@code nanoTime} still unanswered, now counted as failed */
    long unanswered(long nanoTime) {
      long count = 0;
      for (Map.Entry<Long, Long> entry : new LinkedHashMap<>(dueAt).entrySet()) {
        if (entry.getValue() < nanoTime && dueAt.remove(entry.getKey()) != null) {
          count++;
        }
      }
      return count;
    }

    private void onText(String text) {
      long now = System.nanoTime();
      int at = text.indexOf("\"key\":");
      if (at < 0) {
        return;
      }
      long key = 0;
      for (int i = at + 6; i < text.length() && Character.isDigit(text.charAt(i)); i++) {
        key = key * 10 + (text.charAt(i) - '0');
      }
      Long due = dueAt.remove(key);
      if (due == null) {
        return;
      }
      if (Rpc.isReply(text)) {
        Latency.record(recorder, now - due);
      } else {
        errors.incrementAndGet();
      }
    }
  }
}
