package dev.kora.node.impl.subscription;

import dev.kora.interceptors.InterceptorChain;
import dev.kora.interceptors.Session;
import dev.kora.node.core.CommittedPart;
import dev.kora.node.core.NodeMetrics;
import dev.kora.node.core.Subscriber;
import dev.kora.node.spi.CommitFeed;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Delivers each committed mutation of the {@link CommitFeed} to its subscribers: each subscriber gets
 * the part touching its subscriptions, computed once per distinct set of subscribed paths and shared
 * (the same {@link CommittedPart} object, so transports can share its encoding) between subscribers of
 * the same paths. Runs on the node's context.
 */
public final class Fanout implements CommitFeed.Listener {

  /** Marks a set of paths whose part of the commit is empty. */
  private static final CommittedPart EMPTY = new CommittedPart(Mutation.empty(), 0);

  private final SubscriptionRegistry registry;
  private final InterceptorChain chain;
  private final NodeMetrics metrics;

  /**
   * @param registry the subscriptions
   * @param chain the interceptors, for {@code filterDelivery}
   * @param metrics where the time in {@code filterDelivery} is counted
   */
  public Fanout(SubscriptionRegistry registry, InterceptorChain chain, NodeMetrics metrics) {
    this.registry = registry;
    this.chain = chain;
    this.metrics = metrics;
  }

  /**
   * @param mutation the committed mutation
   * @param version its version
   */
  /** Every subscriber starts over ({@link dev.kora.node.core.Subscriber#reset}). */
  @Override
  public void missed() {
    for (dev.kora.node.core.Subscriber subscriber : registry.subscribers()) {
      subscriber.reset();
    }
  }

  @Override
  public void committed(Mutation mutation, long version) {
    List<SubscriptionRegistry.Hit> hits = registry.matchPaths(mutation);
    if (hits.isEmpty()) {
      return;
    }
    if (hits.size() == 1 && !chain.filtersDeliveries()) {
      deliver(mutation, version, hits.get(0));
    } else {
      deliver(mutation, version, SubscriptionRegistry.bySubscriber(hits));
    }
  }

  /**
   * Every subscriber of the commit watches the same one path and no delivery filter runs: one part,
   * one key, no per-subscriber map.
   */
  private void deliver(Mutation mutation, long version, SubscriptionRegistry.Hit hit) {
    Mutation restricted = mutation.restrictTo(hit.path());
    if (restricted.isEmpty()) {
      return;
    }
    CommittedPart part = new CommittedPart(restricted, version);
    for (Subscriber subscriber : hit.subscribers()) {
      subscriber.push(part);
    }
  }

  private void deliver(Mutation mutation, long version, Map<Subscriber, List<Path>> matches) {
    Map<String, CommittedPart> parts = new HashMap<>();
    Map<Audience, CommittedPart> byAudience = new HashMap<>();
    // Subscribers of one path share its Path object: name it once, not once per subscriber.
    Map<Path, String> pathKeys = new IdentityHashMap<>();
    for (Map.Entry<Subscriber, List<Path>> match : matches.entrySet()) {
      List<Path> outer = outermost(match.getValue());
      String key = outer.size() == 1 ? pathKeys.computeIfAbsent(outer.get(0), Path::toString)
          : key(outer);
      Subscriber subscriber = match.getKey();
      if (chain.filtersDeliveries()) {
        // What a subscriber may see depends on who it is: filter per subscription, and share the
        // result only between subscribers of the same paths and identity when the filters allow.
        Session session = subscriber.session();
        CommittedPart part;
        if (chain.filtersByIdentity()) {
          Audience audience = new Audience(key, session.isInternal(), session.isAuthenticated(),
              session.user(), session.claims());
          part = byAudience.get(audience);
          if (part == null) {
            part = filtered(mutation, version, outer, session);
            byAudience.put(audience, part);
          }
        } else {
          part = filtered(mutation, version, outer, session);
        }
        if (part != EMPTY) {
          subscriber.push(part);
        }
      } else {
        CommittedPart part = parts.get(key);
        if (part == null) {
          Mutation restricted = restrict(mutation, outer);
          part = restricted.isEmpty() ? EMPTY : new CommittedPart(restricted, version);
          parts.put(key, part);
        }
        if (part != EMPTY) {
          subscriber.push(part);
        }
      }
    }
  }

  private CommittedPart filtered(Mutation mutation, long version, List<Path> outer,
      Session session) {
    Mutation filtered = Mutation.empty();
    long started = System.nanoTime();
    for (Path path : outer) {
      filtered = filtered.combine(chain.filter(path, mutation.restrictTo(path), session));
    }
    metrics.interceptors(NodeMetrics.InterceptorPhase.DELIVERY, System.nanoTime() - started);
    return filtered.isEmpty() ? EMPTY : new CommittedPart(filtered, version);
  }

  /**
   * Subscribers that see the same part of a change when every filter depends only on identity: the
   * same subscribed paths, the same user and claims.
   */
  private record Audience(String paths, boolean internal, boolean authenticated, String user,
      JsonObject claims) {
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
