package dev.kora.bench;

import dev.kora.protocol.Action;
import dev.kora.protocol.Dialect;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code start}: launches {@code kora serve} on a free loopback port with an empty data folder and
 * times how long until it accepts a TCP connection and until it answers a WebSocket ping, then stops it
 * with SIGTERM. Repeated {@code --runs} times; the figure is the median.
 */
@Command(name = "start", mixinStandardHelpOptions = true,
    description = "Time from launching 'kora serve' to accepting connections (median of runs).")
final class StartScenario implements Callable<Integer> {

  @Mixin
  BenchOptions options;

  @Option(names = "--runs", defaultValue = "3", description = "Launches (default: ${DEFAULT-VALUE}).")
  int runs;

  @Mixin
  CliLauncher launcher;

  @Option(names = "--command", paramLabel = "CMD",
      description = "Launch this instead, e.g. './kora serve'; '--port P --data DIR' are appended.")
  String command;

  @Override
  public Integer call() throws Exception {
    if (runs < 1 || runs > 50) {
      throw new IllegalArgumentException("--runs must be 1 to 50");
    }
    Result result = new Result("start");
    Machine.describe(result);
    List<String> base = command != null ? Arrays.asList(command.trim().split("\\s+"))
        : launcher.serve(options.nodeJavaOpts);
    result.put("command", String.join(" ", base.size() > 6 ? base.subList(base.size() - 3,
        base.size()) : base));
    double[] accept = new double[runs];
    double[] ping = new double[runs];
    try (BenchNode.TempDir temp = new BenchNode.TempDir(); Clients sockets = new Clients(runs + 1)) {
      warmUp(sockets);
      for (int run = 0; run < runs; run++) {
        int port = CliLauncher.freePort();
        List<String> line = new ArrayList<>(base);
        line.addAll(List.of("--port", Integer.toString(port), "--data",
            temp.path().resolve("data" + run).toString()));
        long start = System.nanoTime();
        try (ServedNode node = ServedNode.launch(line, port, null,
            temp.path().resolve("serve" + run + ".log"))) {
          node.awaitAccepting(start + 60_000_000_000L, 2);
          accept[run] = (System.nanoTime() - start) / 1e6;
          Rpc rpc = new Rpc(sockets.connect(node).toCompletionStage().toCompletableFuture()
              .get(30, TimeUnit.SECONDS));
          rpc.await(Action.PING.wireName(Dialect.KORA), "null");
          ping[run] = (System.nanoTime() - start) / 1e6;
          options.log("start: run %d accepted after %.0f ms, answered a ping after %.0f ms", run + 1,
              accept[run], ping[run]);
        }
      }
    }
    Arrays.sort(accept);
    Arrays.sort(ping);
    result.put("runs", runs);
    result.put("start_ms", Result.round(accept[runs / 2]));
    result.put("start_min_ms", Result.round(accept[0]));
    result.put("start_max_ms", Result.round(accept[runs - 1]));
    result.put("first_ping_ms", Result.round(ping[runs / 2]));
    result.put("seconds", Result.round(accept[runs / 2] / 1e3));
    result.note("start_ms: median time from launch to the first accepted TCP connection;"
        + " first_ping_ms: to the first answered WebSocket ping (includes this tool's handshake)");
    result.put("load_average_1m_end", Machine.loadAverage());
    result.print(System.out, options.json);
    return 0;
  }

  /** Pays this tool's own first-connection costs (class loading, JIT) before any timing. */
  private static void warmUp(Clients sockets) throws Exception {
    io.vertx.core.http.HttpServer server = sockets.vertx().createHttpServer()
        .webSocketHandler(socket -> socket.textMessageHandler(text ->
            socket.writeTextMessage("{\"type\":\"reply\",\"key\":1,\"body\":0}")))
        .listen(0, "127.0.0.1").await();
    try {
      BenchNode local = new BenchNode.Remote("ws://127.0.0.1:" + server.actualPort() + "/socket");
      new Rpc(sockets.connect(local).await()).await(Action.PING.wireName(Dialect.KORA), "null");
    } finally {
      server.close().await();
    }
  }
}
