package dev.kora.node.impl.socket;

import io.netty.channel.EventLoop;
import io.vertx.core.Context;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * Flushes the WebSocket connections written to without a flush, once each, when the event-loop task
 * that wrote them is over: every reply and push written to a connection in between leaves in one
 * {@code write} syscall. A group commit answering 64 connections costs 64 syscalls instead of one per
 * reply, and a node that is behind sends a connection the pushes of several commits in one syscall.
 *
 * <p>At most {@value #CONNECTIONS_PER_TURN} connections are flushed per turn; the rest wait for the
 * next turn, which runs after the event loop has polled its sockets again. A commit pushed to 1,000
 * subscribers costs 1,000 syscalls (milliseconds of kernel time): flushed in one go, the writer's
 * next mutation would wait for all of them before it is even read, then its own pushes for all of
 * them again. In turns, the next mutation is read and committed while the flushes go on, and its
 * pushes join the connections not yet flushed, so each connection is flushed once per sweep and a
 * push waits for at most one sweep ({@code kora bench fanout}, docs/benchmarks.md).
 *
 * <p>Confined to the node's event loop, where the connections live: {@link #schedule} must be called
 * there.
 */
public final class SocketFlusher {

  /** Connections flushed per turn before the event loop polls its sockets again. */
  static final int CONNECTIONS_PER_TURN = 64;

  private final EventLoop eventLoop;
  private final ArrayDeque<SocketConnection> waiting = new ArrayDeque<>();
  private final Runnable turn = this::flushTurn;
  private boolean turnScheduled;

  /** @param context the node's context, whose event loop runs the connections */
  public SocketFlusher(Context context) {
    this.eventLoop = VertxInternals.eventLoop(context);
  }

  /**
   * Schedules a connection's flush: at the end of the current task, or in a later turn when more than
   * {@value #CONNECTIONS_PER_TURN} connections wait. Called once per connection until it is flushed:
   * the connection keeps track of whether it waits for one.
   *
   * @param connection a connection that was written to without a flush
   */
  void schedule(SocketConnection connection) {
    waiting.add(connection);
    if (!turnScheduled) {
      turnScheduled = true;
      eventLoop.execute(turn);
    }
  }

  private void flushTurn() {
    for (int i = 0; i < CONNECTIONS_PER_TURN; i++) {
      SocketConnection connection = waiting.poll();
      if (connection == null) {
        break;
      }
      connection.flush();
    }
    if (waiting.isEmpty()) {
      turnScheduled = false;
    } else {
      // A task scheduled with no delay runs after the event loop's next poll of its sockets, unlike
      // one handed to execute() (as the first turn is, to end with the task that wrote), which
      // would run before it.
      eventLoop.schedule(turn, 0, TimeUnit.NANOSECONDS);
    }
  }
}
