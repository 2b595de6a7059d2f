package dev.kora.cli;

import dev.kora.protocol.Action;
import dev.kora.protocol.Dialect;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code kora merge PATH JSON}: merges a value at a path on a running node. */
@Command(name = "merge", mixinStandardHelpOptions = true,
    description = "Merge a JSON value at a path on a running node (null deletes).")
final class MergeCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "PATH", description = "The path, e.g. todos/t1.")
  String path;

  @Parameters(index = "1", paramLabel = "JSON",
      description = "The value, e.g. '{\"title\":\"milk\"}' or '\"text\"' or 42.")
  String json;

  @Mixin
  NodeAddress node;

  @Override
  public Integer call() {
    Object value;
    try {
      value = Json.decodeValue(json);
    } catch (DecodeException e) {
      throw new KoraException(ErrorCode.INVALID_JSON, "not valid JSON: " + json
          + " (quote strings: '\"text\"')");
    }
    Mutation mutation = Mutation.merge(Path.parse(path), value);
    System.out.println(Json.encode(node.call(Action.MUTATION.wireName(Dialect.KORA), mutation.toJson())));
    return 0;
  }
}
