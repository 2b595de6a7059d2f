package dev.kora.cli;

import dev.kora.protocol.Action;
import dev.kora.protocol.Dialect;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import dev.kora.tree.Tree;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kora query PATH [--min K] [--max K] [--limit N]}: reads from a running node. */
@Command(name = "query", mixinStandardHelpOptions = true,
    description = "Read a path from a running node and print it as JSON.")
final class QueryCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "PATH", description = "The path, e.g. cities.")
  String path;

  @Option(names = "--min", paramLabel = "KEY", description = "First child key (inclusive).")
  String min;

  @Option(names = "--max", paramLabel = "KEY", description = "Child key to stop before.")
  String max;

  @Option(names = "--limit", paramLabel = "N", description = "At most N children.")
  Integer limit;

  @Mixin
  NodeAddress node;

  @Override
  public Integer call() {
    Path target = Path.parse(path);
    Query query = Query.of(target, new QueryOptions(min, max, limit, false));
    Object answer = node.call(Action.QUERY.wireName(Dialect.KORA), query.toJson());
    Object value = Tree.get(((JsonObject) answer).getJsonObject("merge"), target);
    System.out.println(value instanceof JsonObject ? ((JsonObject) value).encodePrettily()
        : Json.encode(value));
    return 0;
  }
}
