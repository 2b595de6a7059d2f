package dev.kora.node.impl;

import dev.kora.interceptors.ActionHandler;
import dev.kora.interceptors.Authenticator;
import dev.kora.interceptors.EffectHandler;
import dev.kora.interceptors.Interceptor;
import dev.kora.interceptors.KoraPlugin;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a node's plugins add, gathered and checked once: interceptors in plugin order, action handlers,
 * and effect handlers by name.
 *
 * @param plugins the plugins, in the order given
 * @param interceptors every plugin's interceptors, in order
 * @param handlers every plugin's action handlers, in order
 * @param effectHandlers effect handlers by name
 * @param authenticator the authenticator a plugin supplies, or null
 */
public record Plugins(List<KoraPlugin> plugins, List<Interceptor> interceptors,
    List<ActionHandler> handlers, Map<String, EffectHandler> effectHandlers,
    Authenticator authenticator) {

  /**
   * @param plugins the node's plugins
   * @return what they add
   * @throws IllegalArgumentException when two effect handlers share a name (action names are checked
   *     by the action table), or two plugins supply an authenticator
   */
  public static Plugins of(List<KoraPlugin> plugins) {
    List<Interceptor> interceptors = new ArrayList<>();
    List<ActionHandler> handlers = new ArrayList<>();
    Map<String, EffectHandler> effectHandlers = new HashMap<>();
    Authenticator authenticator = null;
    for (KoraPlugin plugin : plugins) {
      Authenticator supplied = plugin.authenticator();
      if (supplied != null) {
        if (authenticator != null) {
          throw new IllegalArgumentException("two plugins supply an authenticator; a node has one");
        }
        authenticator = supplied;
      }
      interceptors.addAll(plugin.interceptors());
      handlers.addAll(plugin.handlers());
      for (EffectHandler handler : plugin.effectHandlers()) {
        if (effectHandlers.put(handler.name(), handler) != null) {
          throw new IllegalArgumentException("two effect handlers named '" + handler.name() + "'");
        }
      }
    }
    return new Plugins(List.copyOf(plugins), interceptors, handlers, effectHandlers,
        authenticator);
  }

  /**
   * @param first a built-in interceptor that runs before every plugin's (the rules)
   * @return these plugins with {@code first} ahead of their interceptors
   */
  public Plugins withFirst(Interceptor first) {
    List<Interceptor> all = new ArrayList<>();
    all.add(first);
    all.addAll(interceptors);
    return new Plugins(plugins, all, handlers, effectHandlers, authenticator);
  }
}
