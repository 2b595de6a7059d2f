package dev.kora.bench;

import dev.kora.protocol.Action;
import dev.kora.protocol.Dialect;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.vertx.core.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code fanout}: S subscribers on one path, one writer merging a leaf there R times per second on a
 * fixed schedule. Measures pushes delivered per second and the write-to-receive latency, taken from the
 * moment the write was due (not when it was sent), so a writer that falls behind shows up in the
 * latency rather than hiding it (no coordinated omission).
 */
@Command(name = "fanout", mixinStandardHelpOptions = true,
    description = "Pushes delivered/s and write-to-receive latency: S subscribers, one writer at R/s.")
final class FanoutScenario implements Callable<Integer> {

  @Mixin
  BenchOptions options;

  @Option(names = "--subscribers", defaultValue = "1000",
      description = "Subscribed connections (default: ${DEFAULT-VALUE}).")
  int subscribers;

  @Option(names = "--rate", defaultValue = "200",
      description = "Updates per second from the writer (default: ${DEFAULT-VALUE}).")
  int rate;

  @Option(names = "--client", defaultValue = "netty", paramLabel = "netty|vertx",
      description = "WebSocket client of the subscribers: netty (Netty's codec, text frames read as"
          + " bytes: the least CPU taken from the node on a shared machine) or vertx (Vert.x's"
          + " WebSocketClient). Default: ${DEFAULT-VALUE}.")
  String client;

  @Option(names = "--timeline", paramLabel = "FILE",
      description = "Also write one CSV line per update (when due, its latest push, the writer's"
          + " reply) to FILE, to tell stalls from a steady tail.")
  java.nio.file.Path timelineFile;

  @Option(names = "--client-threads", defaultValue = "0",
      description = "Event-loop threads of the netty client (default: the processors).")
  int clientThreads;

  /** Read-only constants; Netty's searches read them without moving their indexes. */
  private static final ByteBuf CAST = ascii("{\"type\":\"cast\"");
  private static final ByteBuf REPLY = ascii("{\"type\":\"reply\"");
  private static final ByteBuf FIELD = ascii("\"m\":\"");

  private final PerThreadRecorder latency = new PerThreadRecorder();
  private final Recorder writeLatency = Latency.recorder();
  private final LongAdder receivedInWindow = new LongAdder();
  private final LongAdder receivedMeasured = new LongAdder();
  private final AtomicLong errors = new AtomicLong();
  private final AtomicReference<String> firstError = new AtomicReference<>();
  private volatile long windowFrom = Long.MAX_VALUE;
  private volatile long windowTo = Long.MAX_VALUE;
  private volatile long[] sentAt;
  private volatile FanoutTimeline timeline;

  /**
   * A fan-out run for another scenario, with the defaults of the options not given (Netty
   * subscribers, no timeline). One {@link #measure} per instance.
   *
   * @param options the shared options (warm-up, duration, log)
   * @param subscribers subscribed connections
   * @param rate updates per second, all writers together
   */
  static FanoutScenario of(BenchOptions options, int subscribers, int rate) {
    FanoutScenario fanout = new FanoutScenario();
    fanout.options = options;
    fanout.subscribers = subscribers;
    fanout.rate = rate;
    fanout.client = "netty";
    return fanout;
  }

  @Override
  public Integer call() throws Exception {
    check();
    Result result = new Result("fanout");
    Machine.describe(result);
    result.put("subscribers", subscribers).put("rate_per_s", rate).put("client", client);
    try (BenchNode.TempDir temp = new BenchNode.TempDir();
        BenchNode node = BenchNode.start(options, "process", temp)) {
      result.put("node", node.mode()).put("store", node.store()).put("durability", node.durability());
      options.log("fanout: %,d subscribers (%s client), %d updates/s, node %s", subscribers, client,
          rate, node.mode());
      measure(List.of(node), result);
    }
    result.put("load_average_1m_end", Machine.loadAverage());
    result.print(System.out, options.json);
    return 0;
  }

  /** Checks the options; throws {@link IllegalArgumentException} naming the one out of range. */
  void check() {
    options.check();
    if (rate < 1 || rate > 100_000 || subscribers < 1) {
      throw new IllegalArgumentException("--rate must be 1 to 100,000 and --subscribers at least 1");
    }
    if (!client.equals("netty") && !client.equals("vertx")) {
      throw new IllegalArgumentException("--client must be netty or vertx");
    }
    if (updates() > 50_000_000) {
      throw new IllegalArgumentException("too many updates; lower --rate or --duration");
    }
  }

  /** @return the updates of a run, warm-up included */
  private long updates() {
    return (long) Math.ceil((options.warmupSeconds + options.durationSeconds) * rate) + 1;
  }

  /**
   * Measures the fan-out against running nodes and puts its figures into a result: the subscribers
   * spread evenly over the nodes, one writer connection per node, the updates sent through them in
   * turn (update k through node k mod N), so that with a cluster the writes enter at every member.
   * With several nodes, the CPU figures are of all of them together.
   *
   * @param nodes the nodes, e.g. one, or the members of a cluster
   * @param result receives {@code pushes_per_s}, {@code p50_ms}..., {@code pushes_missing}, the CPU
   *     figures and the errors
   */
  void measure(List<? extends BenchNode> nodes, Result result) throws Exception {
    check();
    long updates = updates();
    sentAt = new long[(int) updates];
    timeline = timelineFile == null ? null : new FanoutTimeline((int) updates);
    try (Clients sockets = new Clients(subscribers + nodes.size());
        NettyClients netty = new NettyClients(clientThreads > 0 ? clientThreads
            : Runtime.getRuntime().availableProcessors())) {
      List<Clients.Connection> writers = Clients.spread(nodes, nodes.size(),
          (node, count) -> sockets.connectAll(node, count, 1, options));
      CountDownLatch subscribed = new CountDownLatch(subscribers);
      String subscribe = "{\"type\":\"call\",\"key\":1,\"action\":\"" + Action.SUBSCRIBE.wireName(Dialect.KORA) + "\","
          + "\"body\":{\"bench\":{\"fanout\":{}}}}";
      if (client.equals("netty")) {
        result.put("client_transport", netty.transport());
        for (io.netty.channel.Channel channel : Clients.spread(nodes, subscribers,
            (node, count) -> netty.connectAll(node, count, 64,
                () -> (message, now) -> onSubscriberBytes(message, now, subscribed), options))) {
          NettyClients.send(channel, subscribe);
        }
      } else {
        for (Clients.Connection connection : Clients.spread(nodes, subscribers,
            (node, count) -> sockets.connectAll(node, count, 64, options))) {
          WebSocket socket = connection.socket();
          socket.textMessageHandler(text -> onSubscriberText(text, subscribed));
          socket.exceptionHandler(e -> { });
          socket.writeTextMessage(subscribe);
        }
      }
      if (!subscribed.await(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("subscriptions not answered within 120 s");
      }
      for (Clients.Connection writer : writers) {
        writer.socket().textMessageHandler(this::onWriterText);
      }
      long start = System.nanoTime() + 50_000_000L;
      windowFrom = start + options.warmupNanos();
      windowTo = windowFrom + options.durationNanos();
      long period = 1_000_000_000L / rate;
      long measuredUpdates = 0;
      Machine.CpuWindow cpu = new Machine.CpuWindow(nodes);
      // The CPU counters are read once before the writes, so that their first use (JMX beans
      // loaded: tens of ms here) cannot delay the writes due when the window opens, and at the
      // window's start on a thread of their own, not the writer's.
      cpu.start();
      Thread cpuWindowStart = new Thread(() -> {
        sleepUntilQuietly(windowFrom);
        cpu.start();
      }, "kora-bench-cpu-window");
      cpuWindowStart.setDaemon(true);
      cpuWindowStart.start();
      int sent = 0;
      for (int seq = 0; seq < updates; seq++) {
        long due = start + seq * period;
        if (due >= windowTo) {
          break;
        }
        long wait;
        while ((wait = due - System.nanoTime()) > 0) {
          LockSupport.parkNanos(wait);
        }
        if (due >= windowFrom) {
          measuredUpdates++;
        }
        sent++;
        sentAt[seq] = System.nanoTime();
        Clients.Connection writer = writers.get(seq % writers.size());
        writer.socket().writeTextMessage("{\"type\":\"call\",\"key\":" + seq
            + ",\"action\":\"" + Action.MUTATION.wireName(Dialect.KORA)
            + "\",\"body\":{\"merge\":{\"bench\":{\"fanout\":{\"m\":\""
            + seq + ":" + due + "\"}}}}}");
      }
      sleepUntil(windowTo);
      cpuWindowStart.join();
      cpu.stop();
      long expected = measuredUpdates * subscribers;
      long drainUntil = System.nanoTime() + 10_000_000_000L;
      while (receivedMeasured.sum() < expected && System.nanoTime() < drainUntil) {
        Thread.sleep(10);
      }
      if (timeline != null) {
        timeline.write(timelineFile, start, period, windowFrom, sent);
      }
      double seconds = (windowTo - windowFrom) / 1e9;
      Histogram histogram = latency.intervalHistogram();
      result.put("seconds", Result.round(seconds));
      result.put("updates", measuredUpdates);
      result.put("updates_per_s", Result.round(measuredUpdates / seconds));
      result.put("pushes_per_s", Result.round(receivedInWindow.sum() / seconds));
      result.put("pushes_expected_per_s", Result.round(expected / seconds));
      result.put("pushes_missing", expected - receivedMeasured.sum());
      Latency.put(result, "", histogram);
      Latency.put(result, "write_", writeLatency.getIntervalHistogram());
      cpu.put(result, Math.max(1, receivedInWindow.sum()), seconds);
      result.put("errors", errors.get());
      if (firstError.get() != null) {
        result.put("first_error", firstError.get());
      }
      result.note("latency: from when each write was due to when a subscriber received its push,"
          + " all pushes of writes due in the measured window (also those received after it)");
    }
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    WriteScenario.sleepUntil(nanoTime);
  }

  private static void sleepUntilQuietly(long nanoTime) {
    try {
      sleepUntil(nanoTime);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A subscriber's message through the netty client: the same checks as {@link #onSubscriberText}. */
  private void onSubscriberBytes(ByteBuf message, long now, CountDownLatch subscribed) {
    if (!startsWith(message, CAST)) {
      if (!startsWith(message, REPLY)) {
        error(message.toString(StandardCharsets.UTF_8));
      }
      subscribed.countDown();
      return;
    }
    int at = ByteBufUtil.indexOf(FIELD, message);
    if (at < 0) {
      return;
    }
    int seqFrom = at + FIELD.readableBytes();
    int from = message.indexOf(seqFrom, message.writerIndex(), (byte) ':') + 1;
    long due = 0;
    for (int i = from; i < message.writerIndex(); i++) {
      byte digit = message.getByte(i);
      if (digit < '0' || digit > '9') {
        break;
      }
      due = due * 10 + (digit - '0');
    }
    if (timeline != null) {
      int seq = 0;
      for (int i = seqFrom; i < from - 1; i++) {
        seq = seq * 10 + (message.getByte(i) - '0');
      }
      timeline.push(seq, now - due);
    }
    received(due, now);
  }

  private static ByteBuf ascii(String text) {
    return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(
        text.getBytes(StandardCharsets.US_ASCII)).asReadOnly());
  }

  private static boolean startsWith(ByteBuf message, ByteBuf prefix) {
    return message.readableBytes() >= prefix.readableBytes() && ByteBufUtil.equals(message,
        message.readerIndex(), prefix, prefix.readerIndex(), prefix.readableBytes());
  }

  private void received(long due, long now) {
    if (now >= windowFrom && now < windowTo) {
      receivedInWindow.increment();
    }
    if (due >= windowFrom && due < windowTo) {
      receivedMeasured.increment();
      latency.record(now - due);
    }
  }

  private void onSubscriberText(String text, CountDownLatch subscribed) {
    long now = System.nanoTime();
    if (!text.startsWith("{\"type\":\"cast\"")) {
      if (text.startsWith("{\"type\":\"reply\"")) {
        subscribed.countDown();
      } else {
        error(text);
        subscribed.countDown();
      }
      return;
    }
    int at = text.indexOf("\"m\":\"");
    if (at < 0) {
      return;
    }
    int colon = text.indexOf(':', at + 5);
    int end = text.indexOf('"', colon);
    long due = Long.parseLong(text, colon + 1, end, 10);
    if (timeline != null) {
      timeline.push(Integer.parseInt(text, at + 5, colon, 10), now - due);
    }
    received(due, now);
  }

  private void onWriterText(String text) {
    long now = System.nanoTime();
    if (!text.startsWith("{\"type\":\"reply\"")) {
      if (text.startsWith("{\"type\":\"error\"")) {
        error(text);
      }
      return;
    }
    int at = text.indexOf("\"key\":") + 6;
    int end = at;
    while (end < text.length() && Character.isDigit(text.charAt(end))) {
      end++;
    }
    int seq = Integer.parseInt(text, at, end, 10);
    if (sentAt[seq] >= windowFrom && sentAt[seq] < windowTo) {
      Latency.record(writeLatency, now - sentAt[seq]);
    }
    if (timeline != null) {
      timeline.reply(seq, now - sentAt[seq]);
    }
  }

  private void error(String text) {
    errors.incrementAndGet();
    firstError.compareAndSet(null, text.length() > 300 ? text.substring(0, 300) : text);
  }
}
