package dev.kora.cli;

import dev.kora.cli.cluster.ClusterSettings;
import dev.kora.cli.cluster.HazelcastClusters;
import dev.kora.node.KoraNode;
import dev.kora.node.KoraNodeOptions;
import io.vertx.core.Vertx;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code kora serve}: runs a node until SIGTERM or Ctrl-C, then stops it cleanly. With
 * {@code --cluster} (or a {@code "cluster"} object in {@code --config}) the node runs on a clustered
 * Vert.x instance, one member of a Hazelcast cluster ({@link ClusterOptions}).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Start a Kora node: WebSocket on /socket, REST on /tree/<path>.")
final class ServeCommand implements Runnable {

  @Option(names = "--host", defaultValue = KoraNodeOptions.DEFAULT_HOST,
      description = "Interface to listen on (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "" + KoraNodeOptions.DEFAULT_PORT,
      description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
  int port;

  @Option(names = "--log-format", paramLabel = "FORMAT",
      defaultValue = KoraNodeOptions.LOG_FORMAT_TEXT,
      description = "Log lines as 'text' or 'json', one JSON object per line"
          + " (default: ${DEFAULT-VALUE}).")
  String logFormat;

  @Option(names = "--log-requests",
      description = "Log every answered request (WebSocket call, REST request) with its request id;"
          + " without it only requests that failed on the node's side are logged.")
  boolean logRequests;

  @Mixin
  NodeConfig config;

  @Mixin
  SecurityOptions security;

  @Mixin
  ClusterOptions clusterOptions;

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    KoraNodeOptions options = config.options();
    if (config.given("--host") || !config.json().containsKey("host")) {
      options.setHost(host);
    }
    if (config.given("--port") || !config.json().containsKey("port")) {
      options.setPort(port);
    }
    if (config.given("--log-format") || !config.json().containsKey("logFormat")) {
      try {
        options.setLogFormat(logFormat);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--log-format: "
            + e.getMessage());
      }
    }
    if (logRequests) {
      options.setLogRequests(true);
    }
    security.applyTo(options);
    ClusterSettings cluster = clusterOptions.applyTo(options, config.json(),
        "--config " + config.file);
    Vertx vertx = cluster == null ? NodeVertx.create()
        : HazelcastClusters.start(cluster, NodeVertx.options()).await();
    CountDownLatch stopped = new CountDownLatch(1);
    try {
      KoraNode.deploy(vertx, options).await();
    } catch (RuntimeException | Error e) {
      // Vert.x's threads would keep the process alive: close it, so that the command exits with
      // the failure (an Error too, e.g. a class missing from a jar replaced under the process)
      vertx.close();
      throw e;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        System.err.println("kora: stopped");
      } catch (Exception e) {
        System.err.println("kora: stop failed: " + e);
      } finally {
        stopped.countDown();
      }
    }, "kora-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
