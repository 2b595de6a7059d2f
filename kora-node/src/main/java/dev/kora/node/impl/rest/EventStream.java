package dev.kora.node.impl.rest;

import dev.kora.interceptors.Session;
import dev.kora.node.core.CommittedPart;
import dev.kora.node.core.Connection;
import dev.kora.node.core.NodeCore;
import dev.kora.node.core.Subscriber;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * One server-sent event stream: the response of a request, kept open, and its own connection to
 * the node, whose pushes it writes as events. The stream ends when the client goes (its
 * subscriptions are dropped), when its token expires, or when the client reads slower than pushes
 * come: a push due while more than {@code maxBacklogBytes} wait to be sent closes it. Confined to
 * the node's context.
 */
public final class EventStream implements Subscriber {

  private static final System.Logger LOG = System.getLogger(EventStream.class.getName());

  private final RoutingContext context;
  private final Session session;
  private final SseEvents events;
  private final Connection connection;

  /**
   * Starts the stream: writes its headers and ties its connection to the response.
   *
   * @param node the node
   * @param context the request
   * @param session who reads
   * @param events how pushes are encoded
   */
  public EventStream(NodeCore node, RoutingContext context, Session session, SseEvents events) {
    this.context = context;
    this.session = session;
    this.events = events;
    this.connection = new Connection(node, session, this);
    context.response().setChunked(true).putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-cache");
    context.response().closeHandler(v -> connection.close());
    // the stream ends when its token expires; a browser's EventSource then reconnects with the URL
    // it has, which needs a fresh token
    connection.onExpired(() -> {
      connection.close();
      context.response().end();
    });
  }

  /** @return the stream's connection to the node: subscribe through it */
  public Connection connection() {
    return connection;
  }

  @Override
  public Session session() {
    return session;
  }

  @Override
  public void push(CommittedPart part) {
    send(events.event(part));
  }

  /** Ends the stream: the client's EventSource reconnects with its Last-Event-ID and starts over. */
  @Override
  public void reset() {
    LOG.log(System.Logger.Level.WARNING, "closing the event stream of " + session.connectionId()
        + ": the node missed commits it cannot replay to it");
    connection.close();
    context.request().connection().close();
  }

  /**
   * Writes an event, or closes the stream when more than {@code maxBacklogBytes} already wait to be
   * sent on its connection: the client reads slower than pushes come.
   *
   * @param event the event's text ({@link SseEvents})
   */
  public void send(String event) {
    if (connection.isClosed()) {
      return;
    }
    HttpServerResponse response = context.response();
    if (!response.writeQueueFull()) {
      response.write(event);
      return;
    }
    LOG.log(System.Logger.Level.WARNING, "closing the event stream of " + session.connectionId()
        + ": more than maxBacklogBytes " + events.maxBacklogBytes() + " bytes wait to be sent");
    connection.close();
    context.request().connection().close();
  }
}
