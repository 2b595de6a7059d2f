package dev.kora.node.core;

import dev.kora.interceptors.Session;
import dev.kora.protocol.Dialect;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A client connection as the node sees it, whatever the transport: its {@link Session}, where its
 * pushes go, the dialect they are named in, and the subscriptions it holds, so that closing it
 * removes every one of them. A transport makes one per connection (a WebSocket, an SSE stream, an
 * event bus request) and calls {@link #close()} when it ends. Confined to the node's context.
 */
public final class Connection {

  private final NodeCore node;
  private final Session session;
  private final Subscriber subscriber;
  /** Subscribed paths with how often each was subscribed. */
  private final Map<Path, Integer> subscriptions = new HashMap<>();
  private Dialect dialect = Dialect.RIPTIDE;
  private boolean closed;
  /** Mutations sent through {@link #mutate} and not answered yet. */
  private int pendingWrites;
  private Consumer<Boolean> writesFull = full -> { };

  /**
   * @param node the node
   * @param session the connection's session
   * @param subscriber where its pushes go, or null for a transport that cannot push (the event bus):
   *     its queries then read without subscribing
   */
  public Connection(NodeCore node, Session session, Subscriber subscriber) {
    this.node = node;
    this.session = session;
    this.subscriber = subscriber;
  }

  /** @return the connection's session */
  public Session session() {
    return session;
  }

  /** @return the node it is connected to */
  public NodeCore node() {
    return node;
  }

  /** @return whether it can receive pushes */
  public boolean canSubscribe() {
    return subscriber != null;
  }

  /** @return the dialect of its latest subscribing call, {@code riptide} until one is made */
  public Dialect dialect() {
    return dialect;
  }

  /** @return whether {@link #close()} was called */
  public boolean isClosed() {
    return closed;
  }

  /**
   * Writes a mutation on behalf of this connection ({@link NodeCore#mutate}), counting it among the
   * connection's pending writes until it is answered.
   *
   * @param mutation the mutation
   * @return as {@link NodeCore#mutate}
   */
  public Future<Long> mutate(Mutation mutation) {
    Future<Long> result = node.mutate(mutation, session);
    if (result.isComplete()) {
      return result;
    }
    int max = node.limits().maxPendingWritesPerConnection();
    if (++pendingWrites == max) {
      writesFull.accept(true);
    }
    result.onComplete(done -> {
      if (pendingWrites-- == max) {
        writesFull.accept(false);
      }
    });
    return result;
  }

  /**
   * Lets the transport hold back the connection's requests while too many of its writes wait, so
   * that one client cannot fill the node's shared write queue.
   *
   * @param handler called with {@code true} when {@link RequestLimits#maxPendingWritesPerConnection}
   *     of the connection's mutations wait for their commit (stop reading the connection), and with
   *     {@code false} once one of them is answered (read again)
   */
  public void onWritesFull(Consumer<Boolean> handler) {
    this.writesFull = handler;
  }

  /** @return how many of the connection's mutations wait for their answer */
  public int pendingWrites() {
    return pendingWrites;
  }

  /**
   * Subscribes the entries of a query that say {@code subscribe} and reads all of it
   * ({@link NodeCore#subscribe}); its pushes will be named in {@code dialect}.
   *
   * @param query the query
   * @param dialect the dialect of the call
   * @return the answer
   * @throws IllegalStateException when the connection cannot receive pushes
   */
  public Future<JsonObject> subscribe(Query query, Dialect dialect) {
    if (subscriber == null) {
      throw new IllegalStateException("this connection cannot receive pushes");
    }
    this.dialect = dialect;
    return node.subscribe(query, subscriber).map(answer -> {
      for (Query.Entry entry : query.entries()) {
        if (entry.options().subscribe()) {
          subscriptions.merge(entry.path(), 1, Integer::sum);
          if (closed) {
            // closed while the read ran: undo what the node registered
            node.unsubscribe(List.of(entry.path()), subscriber);
          }
        }
      }
      return answer;
    });
  }

  /**
   * Removes one subscription per path of the query that this connection holds; other paths are
   * ignored.
   *
   * @param query the paths
   */
  public void unsubscribe(Query query) {
    List<Path> removed = new ArrayList<>();
    for (Query.Entry entry : query.entries()) {
      Integer count = subscriptions.get(entry.path());
      if (count != null) {
        if (count == 1) {
          subscriptions.remove(entry.path());
        } else {
          subscriptions.put(entry.path(), count - 1);
        }
        removed.add(entry.path());
      }
    }
    if (!removed.isEmpty()) {
      node.unsubscribe(removed, subscriber);
    }
  }

  /** Drops every subscription of the connection; later pushes and calls are ignored. Idempotent. */
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (subscriber == null || subscriptions.isEmpty()) {
      return;
    }
    List<Path> all = new ArrayList<>();
    subscriptions.forEach((path, count) -> {
      for (int i = 0; i < count; i++) {
        all.add(path);
      }
    });
    subscriptions.clear();
    node.unsubscribe(all, subscriber);
  }
}
