package dev.kora.node.cli;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
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

  @Option(names = "--url", defaultValue = "ws://127.0.0.1:12000/socket",
      description = "The node (default: ${DEFAULT-VALUE}).")
  String url;

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
    Vertx vertx = Vertx.vertx();
    try {
      RemoteNode remote = RemoteNode.connect(vertx, url).await();
      Object reply = remote.call("kora.mutation", mutation.toJson()).await();
      System.out.println(Json.encode(reply));
      remote.close().await();
      return 0;
    } finally {
      vertx.close().await();
    }
  }
}
