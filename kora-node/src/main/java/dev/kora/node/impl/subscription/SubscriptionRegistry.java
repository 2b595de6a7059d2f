package dev.kora.node.impl.subscription;

import dev.kora.node.core.Subscriber;

import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The subscriptions of a node, indexed by path in a trie so that a committed mutation finds its
 * subscribers in time proportional to the paths it changes, not to the number of subscriptions.
 * A subscription at S matches a change at C when C is at or under S (a change inside) or S is under C
 * (an ancestor deleted or overwritten by a leaf). Confined to the node's context; not thread-safe.
 */
public final class SubscriptionRegistry {

  private final Node root = new Node(Path.ROOT, null);
  private int size;
  /** Numbers the {@link #matchPaths} calls, so a node reached twice in one call is counted once. */
  private long matchRound;

  /**
   * A subscribed path that a mutation touches, with its subscribers.
   *
   * @param path the subscribed path, e.g. {@code todos/t1}
   * @param subscribers its subscribers, in subscription order; a copy, so delivering to them may
   *     unsubscribe
   */
  public record Hit(Path path, Subscriber[] subscribers) {
  }

  private static final class Node {
    final Path path;
    final Node parent;
    final Map<String, Node> children = new HashMap<>();
    final Map<Subscriber, Integer> subscribers = new LinkedHashMap<>();
    /** The last {@link #matchRound} that collected this node. */
    long matchedIn = -1;

    Node(Path path, Node parent) {
      this.path = path;
      this.parent = parent;
    }
  }

  /**
   * Subscribes; subscribing twice to one path needs two {@link #remove}s.
   *
   * @param path the subscribed subtree
   * @param subscriber who receives its changes
   */
  public void add(Path path, Subscriber subscriber) {
    Node node = root;
    for (int i = 0; i < path.size(); i++) {
      String key = path.key(i);
      Node current = node;
      node = node.children.computeIfAbsent(key, k -> new Node(path.prefix(current.path.size() + 1),
          current));
    }
    if (node.subscribers.merge(subscriber, 1, Integer::sum) == 1) {
      size++;
    }
  }

  /**
   * @param path a subscribed subtree
   * @param subscriber the subscriber
   * @return whether a subscription was removed
   */
  public boolean remove(Path path, Subscriber subscriber) {
    Node node = root;
    for (int i = 0; i < path.size() && node != null; i++) {
      node = node.children.get(path.key(i));
    }
    if (node == null || !node.subscribers.containsKey(subscriber)) {
      return false;
    }
    int count = node.subscribers.get(subscriber);
    if (count > 1) {
      node.subscribers.put(subscriber, count - 1);
    } else {
      node.subscribers.remove(subscriber);
      size--;
      while (node.parent != null && node.subscribers.isEmpty() && node.children.isEmpty()) {
        node.parent.children.remove(node.path.lastKey());
        node = node.parent;
      }
    }
    return true;
  }

  /** @return every subscriber with at least one subscription, each once (a copy) */
  public java.util.Set<Subscriber> subscribers() {
    java.util.Set<Subscriber> all = new java.util.LinkedHashSet<>();
    java.util.ArrayDeque<Node> pending = new java.util.ArrayDeque<>();
    pending.add(root);
    while (!pending.isEmpty()) {
      Node node = pending.poll();
      all.addAll(node.subscribers.keySet());
      pending.addAll(node.children.values());
    }
    return all;
  }

  /** @return the number of distinct (path, subscriber) subscriptions */
  public int size() {
    return size;
  }

  /**
   * @param mutation a committed mutation
   * @return each subscriber it touches with the subscribed paths it touches, in subscription order
   */
  public Map<Subscriber, List<Path>> match(Mutation mutation) {
    return bySubscriber(matchPaths(mutation));
  }

  /**
   * @param hits the result of {@link #matchPaths}
   * @return each subscriber of the hits with its touched paths, in subscription order
   */
  public static Map<Subscriber, List<Path>> bySubscriber(List<Hit> hits) {
    Map<Subscriber, List<Path>> result = new LinkedHashMap<>();
    for (Hit hit : hits) {
      for (Subscriber subscriber : hit.subscribers()) {
        result.computeIfAbsent(subscriber, s -> new ArrayList<>(1)).add(hit.path());
      }
    }
    return result;
  }

  /**
   * The subscribed paths a mutation touches, each once. Cheaper than {@link #match} when many
   * subscribers share a path (the common shape: 1,000 clients watching one subtree): no entry per
   * subscriber is built.
   *
   * @param mutation a committed mutation
   * @return the touched subscribed paths with their subscribers; empty if none
   */
  public List<Hit> matchPaths(Mutation mutation) {
    List<Hit> result = new ArrayList<>(1);
    if (size == 0) {
      return result;
    }
    matchRound++;
    for (Path path : mutation.deletes()) {
      matchChange(path, result);
    }
    for (LeafWrite write : mutation.writes()) {
      matchChange(write.path(), result);
    }
    return result;
  }

  private void matchChange(Path changed, List<Hit> result) {
    Node node = root;
    collect(node, result);
    for (int i = 0; i < changed.size(); i++) {
      node = node.children.get(changed.key(i));
      if (node == null) {
        return;
      }
      collect(node, result);
    }
    collectBelow(node, result);
  }

  private void collectBelow(Node node, List<Hit> result) {
    for (Node child : node.children.values()) {
      collect(child, result);
      collectBelow(child, result);
    }
  }

  private void collect(Node node, List<Hit> result) {
    if (!node.subscribers.isEmpty() && node.matchedIn != matchRound) {
      node.matchedIn = matchRound;
      result.add(new Hit(node.path, node.subscribers.keySet().toArray(new Subscriber[0])));
    }
  }
}
