package dev.kora.interceptors;

import java.util.List;

/**
 * What an application adds to a node: interceptors, action handlers and effect handlers. A standalone
 * node ({@code ./kora serve --lib DIR}) finds plugins with {@link java.util.ServiceLoader}: list the
 * class in {@code META-INF/services/dev.kora.interceptors.KoraPlugin} inside a jar in DIR.
 */
public interface KoraPlugin {

  /**
   * Called once when the node has opened its store, before it serves; keep the context to read and
   * write the tree from handlers and interceptors.
   *
   * @param context the node's services
   */
  default void start(KoraContext context) {
  }

  /** @return interceptors, in the order they run */
  default List<Interceptor> interceptors() {
    return List.of();
  }

  /** @return handlers of application actions */
  default List<ActionHandler> handlers() {
    return List.of();
  }

  /** @return runners of effect jobs by name */
  default List<EffectHandler> effectHandlers() {
    return List.of();
  }

  /**
   * @return the authenticator of the node's clients, replacing the JWT authenticator of the node's
   *     options; null (the default) for none. At most one plugin of a node may supply one.
   */
  default Authenticator authenticator() {
    return null;
  }
}
