package dev.kora.examples.todo;

import dev.kora.interceptors.EffectHandler;
import dev.kora.interceptors.KoraContext;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The todo app's jobs. {@value #NOTIFY} appends {@code {"user", "todo", "title", "sent"}} as one line
 * to the outbox file — a stand-in for a push notification; at-least-once, so a line may repeat after a
 * crash. {@value #RECOUNT} sets {@code user:stats/<user>/todos} to the number of the user's todos as
 * stored when it runs; recounts of one user run one at a time, so the last one reads the last state.
 */
final class TodoEffects {

  static final String NOTIFY = "todo.notify";
  static final String RECOUNT = "todo.recount";

  private final java.nio.file.Path outbox;
  private final Map<String, Future<Void>> recounts = new HashMap<>();
  private KoraContext context;

  TodoEffects(java.nio.file.Path outbox) {
    this.outbox = outbox;
  }

  void start(KoraContext context) {
    this.context = context;
  }

  List<EffectHandler> handlers() {
    return List.of(EffectHandler.of(NOTIFY, (args, attempt) -> notify(args)),
        EffectHandler.of(RECOUNT, (args, attempt) -> recount(args)));
  }

  private Future<Void> notify(JsonObject args) {
    Buffer line = Buffer.buffer(args.copy().put("sent", System.currentTimeMillis()).encode() + "\n");
    return context.vertx().fileSystem()
        .open(outbox.toAbsolutePath().toString(), new OpenOptions().setAppend(true).setCreate(true))
        .compose(file -> file.write(line).eventually(file::close));
  }

  private Future<Void> recount(JsonObject args) {
    String user = args.getString("user");
    Future<Void> previous = recounts.getOrDefault(user, Future.succeededFuture());
    Future<Void> next = previous.transform(ignored -> context.read(Path.of("user:todos", user))
        .compose(todos -> context.mutate(Mutation.merge(Path.of("user:stats", user, "todos"),
            todos instanceof JsonObject json ? json.size() : 0)))
        .mapEmpty());
    recounts.put(user, next);
    return next.onComplete(done -> recounts.remove(user, next));
  }
}
