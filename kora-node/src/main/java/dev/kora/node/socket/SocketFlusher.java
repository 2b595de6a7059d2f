package dev.kora.node.socket;

import io.vertx.core.Context;
import java.util.ArrayList;
import java.util.List;

/**
 * Flushes the WebSocket connections written to during one event-loop task, once each, when the task
 * is over: every reply and push written to a connection in that task leaves in one {@code write}
 * syscall. A group commit answering 64 connections costs 64 syscalls instead of one per reply, and a
 * node that is behind sends a connection the pushes of several commits in one syscall (about four
 * per syscall in {@code kora bench fanout}: 1,000 subscribers, 200 commits/s). Waiting longer than
 * the end of the task (a flush at most every 5–20 ms) was tried and saved no CPU there: the natural
 * batching under load already does most of it, and it adds latency when the node is idle.
 *
 * <p>Confined to the node's event loop, where the connections live: {@link #written} must be called
 * there.
 */
public final class SocketFlusher {

  private final Context context;
  private List<SocketConnection> dirty = new ArrayList<>();
  private List<SocketConnection> spare = new ArrayList<>();

  /** @param context the node's context, whose event loop runs the connections */
  public SocketFlusher(Context context) {
    this.context = context;
  }

  /**
   * Schedules a connection's flush at the end of the current task. Called once per connection until
   * it is flushed: the connection keeps track of whether it waits for one.
   *
   * @param connection a connection that was written to without a flush
   */
  void schedule(SocketConnection connection) {
    if (dirty.isEmpty()) {
      context.runOnContext(v -> flushAll());
    }
    dirty.add(connection);
  }

  private void flushAll() {
    List<SocketConnection> flushing = dirty;
    dirty = spare;
    for (SocketConnection connection : flushing) {
      connection.flush();
    }
    flushing.clear();
    spare = flushing;
  }
}
