package dev.kora.node.impl;

import dev.kora.interceptors.InterceptorChain;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Delivers one committed mutation to its subscribers: each subscriber gets the part touching its
 * subscriptions, computed once per distinct set of subscribed paths and shared (with its encoded
 * frames) between subscribers of the same paths. Runs on the node's context.
 */
public final class Fanout {

  private final SubscriptionRegistry registry;
  private final InterceptorChain chain;

  /**
   * @param registry the subscriptions
   * @param chain the interceptors, for {@code filterDelivery}
   */
  public Fanout(SubscriptionRegistry registry, InterceptorChain chain) {
    this.registry = registry;
    this.chain = chain;
  }

  /**
   * @param mutation the committed mutation
   * @param version its version
   */
  public void deliver(Mutation mutation, long version) {
    List<SubscriptionRegistry.Hit> hits = registry.matchPaths(mutation);
    if (hits.isEmpty()) {
      return;
    }
    Map<String, Object> frames = new HashMap<>();
    try {
      if (hits.size() == 1 && !chain.filtersDeliveries()) {
        deliver(mutation, version, hits.get(0), frames);
      } else {
        deliver(mutation, version, SubscriptionRegistry.bySubscriber(hits), frames);
      }
    } finally {
      // Encoded frames shared by the subscribers may hold pooled buffers.
      for (Object frame : frames.values()) {
        ReferenceCountUtil.release(frame);
      }
    }
  }

  /**
   * Every subscriber of the commit watches the same one path and no delivery filter runs: one part,
   * one key, no per-subscriber map.
   */
  private void deliver(Mutation mutation, long version, SubscriptionRegistry.Hit hit,
      Map<String, Object> frames) {
    Mutation part = mutation.restrictTo(hit.path());
    if (part.isEmpty()) {
      return;
    }
    String key = hit.path().toString();
    for (Subscriber subscriber : hit.subscribers()) {
      subscriber.push(part, key, version, frames);
    }
  }

  private void deliver(Mutation mutation, long version, Map<Subscriber, List<Path>> matches,
      Map<String, Object> frames) {
    Map<String, Mutation> parts = new HashMap<>();
    long unshared = 0;
    // Subscribers of one path share its Path object: name it once, not once per subscriber.
    Map<Path, String> pathKeys = new IdentityHashMap<>();
    for (Map.Entry<Subscriber, List<Path>> match : matches.entrySet()) {
      List<Path> outer = outermost(match.getValue());
      String key = outer.size() == 1 ? pathKeys.computeIfAbsent(outer.get(0), Path::toString)
          : key(outer);
      Subscriber subscriber = match.getKey();
      if (chain.filtersDeliveries()) {
        // What a subscriber may see depends on who it is: filter per subscription, share nothing.
        Mutation filtered = Mutation.empty();
        for (Path path : outer) {
          filtered = filtered.combine(chain.filter(path, mutation.restrictTo(path),
              subscriber.session()));
        }
        if (!filtered.isEmpty()) {
          subscriber.push(filtered, "filtered\u0000" + (unshared++), version, frames);
        }
      } else {
        Mutation part = parts.get(key);
        if (part == null) {
          part = restrict(mutation, outer);
          parts.put(key, part);
        }
        if (!part.isEmpty()) {
          subscriber.push(part, key, version, frames);
        }
      }
    }
  }

  private static Mutation restrict(Mutation mutation, List<Path> paths) {
    Mutation result = Mutation.empty();
    for (Path path : paths) {
      result = result.combine(mutation.restrictTo(path));
    }
    return result;
  }

  /** Drops every path that another path of the list contains. */
  private static List<Path> outermost(List<Path> paths) {
    if (paths.size() == 1) {
      return paths;
    }
    List<Path> result = new ArrayList<>();
    for (Path candidate : paths) {
      boolean covered = false;
      for (Path other : paths) {
        if (other != candidate && other.contains(candidate) && !other.equals(candidate)) {
          covered = true;
          break;
        }
      }
      if (!covered && !result.contains(candidate)) {
        result.add(candidate);
      }
    }
    result.sort(null);
    return result;
  }

  private static String key(List<Path> paths) {
    if (paths.size() == 1) {
      return paths.get(0).toString();
    }
    StringBuilder out = new StringBuilder();
    for (Path path : paths) {
      out.append(path).append('\u0000');
    }
    return out.toString();
  }
}
