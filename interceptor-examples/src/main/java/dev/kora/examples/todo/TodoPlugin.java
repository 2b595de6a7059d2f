package dev.kora.examples.todo;

import dev.kora.interceptors.ActionHandler;
import dev.kora.interceptors.EffectHandler;
import dev.kora.interceptors.Interceptor;
import dev.kora.interceptors.KoraContext;
import dev.kora.interceptors.KoraPlugin;
import java.nio.file.Path;
import java.util.List;

/**
 * A todo-list application built only from Kora's public APIs:
 *
 * <ul>
 *   <li>{@code todo.signup} / {@code todo.login} / {@code todo.logout} handlers: passwords hashed with
 *       PBKDF2 (Vert.x auth's {@code HashingStrategy}) and kept at {@code todo:users/<user>}, which no
 *       client can read or write;</li>
 *   <li>permissions: a user reads and writes only {@code user:todos/<own id>/...} and reads only
 *       {@code user:stats/<own id>};</li>
 *   <li>schema: a todo is {@code {"title": string (1..200 chars), "done": boolean}};</li>
 *   <li>{@code created} (ms) and {@code user} stamped on creation;</li>
 *   <li>{@code user:stats/<user>/todos}: the number of the user's todos, kept by an effect;</li>
 *   <li>a notification effect for each new todo, appended to an outbox file (one JSON object a line).</li>
 * </ul>
 *
 * The outbox file is {@code kora-todo-outbox.log} in the working folder unless the system property
 * {@code kora.todo.outbox} or the environment variable {@code KORA_TODO_OUTBOX} names another.
 */
public final class TodoPlugin implements KoraPlugin {

  private final TodoUsers users = new TodoUsers();
  private final TodoEffects effects;

  /** A plugin with the outbox from the system property, the environment, or the default. */
  public TodoPlugin() {
    this(defaultOutbox());
  }

  /** @param outbox the file notifications are appended to */
  public TodoPlugin(Path outbox) {
    this.effects = new TodoEffects(outbox);
  }

  private static Path defaultOutbox() {
    String configured = System.getProperty("kora.todo.outbox", System.getenv("KORA_TODO_OUTBOX"));
    return Path.of(configured == null ? "kora-todo-outbox.log" : configured);
  }

  @Override
  public void start(KoraContext context) {
    users.start(context);
    effects.start(context);
  }

  @Override
  public List<Interceptor> interceptors() {
    return List.of(new TodoPermissions("user:todos/{user}/**", true),
        new TodoPermissions("user:stats/{user}/**", false),
        new TodoPermissions("todo:users/**", false),
        new TodoSchema(), new TodoStamps(users));
  }

  @Override
  public List<ActionHandler> handlers() {
    return users.handlers();
  }

  @Override
  public List<EffectHandler> effectHandlers() {
    return effects.handlers();
  }
}
