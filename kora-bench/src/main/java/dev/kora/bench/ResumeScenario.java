package dev.kora.bench;

import dev.kora.protocol.Action;
import dev.kora.protocol.Dialect;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import org.HdrHistogram.Recorder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code resume}: a client holds a copy of a subtree of {@code --leaves} leaves (subscribed with
 * {@code kora.subscribe}), goes away, {@code --changes} of those leaves are changed by another client,
 * and the client comes back with {@code since}: the time from sending the resuming subscribe to
 * having applied its answer to the copy (converged), per round, against the time of reading the
 * whole subtree again. Each round checks that the copy equals the server's data (outside the timing)
 * and fails loudly if not. docs/benchmarks.md has the figures.
 */
@Command(name = "resume", mixinStandardHelpOptions = true,
    description = "Time for a client holding N leaves that missed M changes to converge with since.")
final class ResumeScenario implements Callable<Integer> {

  static final Path BASE = Path.of("bench", "s");
  private static final String QUERY = "{\"bench\":{\"s\":{}}}";

  @Mixin
  BenchOptions options;

  @Option(names = "--leaves", defaultValue = "100000",
      description = "Leaves the client holds (default: ${DEFAULT-VALUE}).")
  int leaves;

  @Option(names = "--changes", defaultValue = "1000",
      description = "Leaves changed while it is away, one mutation each (default: ${DEFAULT-VALUE}).")
  int changes;

  @Option(names = "--rounds", defaultValue = "10",
      description = "Times it goes away and comes back (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Override
  public Integer call() throws Exception {
    options.check();
    if (leaves < 1 || changes < 1 || rounds < 1 || leaves > 10_000_000) {
      throw new IllegalArgumentException("--leaves (1 to 10,000,000), --changes and --rounds must"
          + " be at least 1");
    }
    Result result = new Result("resume");
    Machine.describe(result);
    result.put("leaves", leaves).put("changes", changes).put("rounds", rounds);
    try (BenchNode.TempDir temp = new BenchNode.TempDir();
        BenchNode node = BenchNode.start(options, "process", temp);
        Clients sockets = new Clients(rounds + 2)) {
      result.put("node", node.mode()).put("store", node.store());
      List<Clients.Connection> connections = sockets.connectAll(node, rounds + 2, 1, options);
      Rpc writer = new Rpc(connections.get(0));
      seed(writer);
      String subscribe = Action.SUBSCRIBE.wireName(Dialect.KORA);
      String query = Action.QUERY.wireName(Dialect.KORA);
      JsonObject copy = new JsonObject();
      JsonObject first = (JsonObject) Rpc.body(new Rpc(connections.get(1)).await(subscribe, QUERY));
      long version = apply(copy, first);
      Random random = new Random(11);
      Recorder resumeTimes = Latency.recorder();
      Recorder fullTimes = Latency.recorder();
      long answerBytes = 0;
      long answerLeaves = 0;
      for (int round = 0; round < rounds; round++) {
        // the client is away (its connection is not read any more); another one writes
        writeChanges(writer, random, round);
        Rpc resumer = new Rpc(connections.get(round + 2));
        long start = System.nanoTime();
        String frame = resumer.await(subscribe,
            "{\"bench\":{\"s\":{\"since\":" + version + "}}}");
        JsonObject answer = (JsonObject) Rpc.body(frame);
        version = apply(copy, answer);
        long took = System.nanoTime() - start;
        Latency.record(resumeTimes, took);
        if (answer.containsKey("reset")) {
          throw new IllegalStateException("the resume answered reset: the log should reach back");
        }
        answerBytes += frame.length();
        answerLeaves += Mutation.of(answer.getJsonObject("merge"), answer.getJsonObject("delete"))
            .writes().size();
        long fullStart = System.nanoTime();
        JsonObject full = (JsonObject) Rpc.body(writer.await(query, QUERY));
        JsonObject server = new JsonObject();
        apply(server, full);
        Latency.record(fullTimes, System.nanoTime() - fullStart);
        if (!server.equals(copy)) {
          throw new IllegalStateException("round " + round + ": the resumed copy differs from the"
              + " server's data");
        }
        options.log("resume round %d: %.1f ms", round + 1, took / 1e6);
      }
      Latency.put(result, "resume_", resumeTimes.getIntervalHistogram());
      Latency.put(result, "full_read_", fullTimes.getIntervalHistogram());
      result.put("answer_bytes_avg", answerBytes / rounds);
      result.put("answer_leaves_avg", answerLeaves / rounds);
      result.put("converged_rounds", rounds);
      result.note("resume_*: from sending kora.subscribe with since to the answer applied to the"
          + " client's copy of " + leaves + " leaves; full_read_*: reading and applying the whole"
          + " subtree again, for comparison");
      ClientResume.measure(options, node.url(), leaves, rounds,
          round -> writeChanges(writer, random, 1_000 + round), result);
    }
    result.put("load_average_1m_end", Machine.loadAverage());
    result.print(System.out, options.json);
    return 0;
  }

  /** Applies an answer to a copy; @return its version */
  private static long apply(JsonObject copy, JsonObject answer) {
    Mutation.of(answer.getJsonObject("merge"), answer.getJsonObject("delete")).applyTo(copy);
    return answer.getLong("version");
  }

  /** Changes {@code changes} random leaves, one mutation each, 16 in flight. */
  private void writeChanges(Rpc writer, Random random, int round) {
    List<String> bodies = new ArrayList<>(changes);
    for (int i = 0; i < changes; i++) {
      bodies.add("{\"merge\":{\"bench\":{\"s\":{\"" + Data.key(random.nextInt(leaves))
          + "\":\"r" + round + "-" + i + "\"}}}}");
    }
    writer.writeAll(bodies, 16);
  }

  /** Writes the subtree, 1,000 leaves per mutation, 4 in flight. */
  private void seed(Rpc rpc) {
    options.log("resume: seeding %,d leaves at %s", leaves, BASE);
    Data data = new Data(7, leaves);
    List<String> bodies = new ArrayList<>();
    for (int first = 0; first < leaves; first += 1_000) {
      StringBuilder body = new StringBuilder("{\"merge\":{\"bench\":{\"s\":{");
      for (int i = first; i < Math.min(leaves, first + 1_000); i++) {
        if (i > first) {
          body.append(',');
        }
        body.append('"').append(Data.key(i)).append("\":\"").append(data.leaf()).append('"');
      }
      bodies.add(body.append("}}}}").toString());
    }
    rpc.writeAll(bodies, 4);
  }
}
