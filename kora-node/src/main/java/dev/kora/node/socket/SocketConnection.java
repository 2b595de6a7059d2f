package dev.kora.node.socket;

import dev.kora.interceptors.ActionHandler;
import dev.kora.interceptors.Session;
import dev.kora.node.KoraNode;
import dev.kora.node.impl.Subscriber;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.websocketx.WebSocketFrameEncoder;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One client connected to {@code /socket}: parses frames, runs the built-in actions ({@code ping},
 * {@code mutation}, {@code query}, {@code subscribe}, {@code unsubscribe}, each as {@code kora.X} and
 * {@code riptide.X}), answers with replies or error frames, and receives pushes for its subscriptions.
 * Runs on the node's context; a bad frame gets an error and never closes the connection.
 */
public final class SocketConnection implements Subscriber {

  private static final String KORA = "kora";
  private static final String RIPTIDE = "riptide";
  /** A number key, or a string key (which calls may use too) in its JSON form. */
  private static final Pattern KEY_IN_HEAD =
      Pattern.compile("\"key\"\\s*:\\s*(-?\\d{1,18}|\"(?:[^\"\\\\]|\\\\.)*\")");
  private static final java.util.concurrent.atomic.AtomicLong IDS =
      new java.util.concurrent.atomic.AtomicLong();

  private final KoraNode node;
  /** Where frames are written: the connection's handler context, on the node's event loop. */
  private final ChannelHandlerContext channel;
  /**
   * Where whole frames are written: the context of Netty's WebSocket frame encoder, so that they go
   * straight to the socket's outbound buffer past the encoder, which would only pass them on (one
   * handler less to touch per push); the connection's own context if there is no encoder.
   */
  private final ChannelHandlerContext frameOutput;
  private final int maxFrameBytes;
  private final long maxBacklogBytes;
  /** Subscribed paths with how often each was subscribed. */
  private final Map<Path, Integer> subscriptions = new HashMap<>();
  private final Session session = Session.client("c" + IDS.incrementAndGet());
  private final SocketFlusher flusher;
  private boolean flushPending;
  private String pushPrefix = RIPTIDE;
  private boolean closed;

  /**
   * @param node the node
   * @param channel the context of the connection's handler in its Netty pipeline, after the
   *     WebSocket handshake; frames written there pass the WebSocket encoder unchanged
   * @param maxFrameBytes the largest message accepted
   * @param maxBacklogBytes the most bytes waiting to be sent before the connection is closed
   * @param flusher flushes the node's connections at the end of each task
   */
  SocketConnection(KoraNode node, ChannelHandlerContext channel, int maxFrameBytes,
      long maxBacklogBytes, SocketFlusher flusher) {
    this.maxBacklogBytes = maxBacklogBytes;
    this.node = node;
    this.flusher = flusher;
    this.channel = channel;
    ChannelHandlerContext encoder = channel.pipeline().context(WebSocketFrameEncoder.class);
    this.frameOutput = encoder == null ? channel : encoder;
    this.maxFrameBytes = maxFrameBytes;
    for (ActionHandler handler : node.handlers()) {
      try {
        handler.connected(session);
      } catch (RuntimeException e) {
        System.getLogger(SocketConnection.class.getName()).log(System.Logger.Level.WARNING,
            "connected() of handler " + handler.action() + " failed", e);
      }
    }
  }

  /**
   * @param maxFrameBytes the node's message limit
   * @return the largest WebSocket frame and message the node's server takes and sends: twice the
   *     limit, so that messages up to twice the limit reach the connection, which answers them with
   *     {@code too_large}; beyond that the WebSocket layer closes the connection (status 1009)
   */
  static int transportLimit(int maxFrameBytes) {
    return (int) Math.min(Integer.MAX_VALUE - 8, 2L * maxFrameBytes);
  }

  @Override
  public Session session() {
    return session;
  }

  /** Answers a binary message: the protocol is JSON text. */
  void onBinary() {
    send(Frames.error(null, ErrorCode.INVALID_MESSAGE,
        "binary frames are not supported; send JSON text frames"));
  }

  /** Handles one whole text message (a frame of the protocol). */
  void onText(String text) {
    if (text.length() > maxFrameBytes || (text.length() > maxFrameBytes / 3
        && text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > maxFrameBytes)) {
      Matcher key = KEY_IN_HEAD.matcher(text.substring(0, Math.min(text.length(), 256)));
      send(Frames.error(key.find() ? keyValue(key.group(1)) : null, ErrorCode.TOO_LARGE,
          "frame of " + text.length() + " characters exceeds the limit of " + maxFrameBytes));
      return;
    }
    JsonObject frame;
    try {
      Object parsed = decodeFrame(text);
      if (!(parsed instanceof JsonObject)) {
        send(Frames.error(null, ErrorCode.INVALID_MESSAGE, "a frame must be a JSON object"));
        return;
      }
      frame = (JsonObject) parsed;
    } catch (DecodeException e) {
      send(Frames.error(null, ErrorCode.INVALID_JSON, "frame is not valid JSON: "
          + e.getMessage()));
      return;
    }
    Object key = frame.getValue("key");
    Object type = frame.getValue("type");
    boolean call = "call".equals(type);
    if (!call && !"cast".equals(type)) {
      send(Frames.error(key, ErrorCode.INVALID_MESSAGE,
          "'type' must be \"call\" or \"cast\", got " + type));
      return;
    }
    if (call && !(key instanceof Number || key instanceof String)) {
      send(Frames.error(null, ErrorCode.INVALID_MESSAGE,
          "a call needs a 'key' (a number or string) to match its reply"));
      return;
    }
    Object action = frame.getValue("action");
    if (!(action instanceof String)) {
      send(Frames.error(call ? key : null, ErrorCode.INVALID_MESSAGE,
          "'action' must be a string"));
      return;
    }
    Future<Object> result;
    try {
      result = dispatch((String) action, frame.getValue("body"));
    } catch (KoraException e) {
      result = Future.failedFuture(e);
    } catch (RuntimeException e) {
      result = Future.failedFuture(new KoraException(ErrorCode.INTERNAL,
          "unexpected failure: " + e, e));
    }
    if (call) {
      result.onComplete(done -> {
        if (done.succeeded()) {
          send(Frames.reply(key, done.result()));
        } else {
          Throwable cause = done.cause();
          send(cause instanceof KoraException ? Frames.error(key, (KoraException) cause)
              : Frames.error(key, ErrorCode.INTERNAL, String.valueOf(cause)));
        }
      });
    }
  }

  /**
   * Parses a frame like {@code Json.decodeValue} (same result types, same {@link DecodeException}s,
   * same read constraints and comments allowed) but without Jackson's field-name canonicalization.
   * Data keys are JSON field names here, and random keys (millions of distinct ones) degrade Jackson's
   * shared symbol table into long collision chains: with it, parsing a single-leaf mutation frame cost
   * about 5x more and was a quarter of the event loop's time under write load (kora bench write).
   */
  private static Object decodeFrame(String text) {
    com.fasterxml.jackson.core.JsonParser parser;
    try {
      parser = FRAME_PARSERS.createParser(text);
    } catch (java.io.IOException e) {
      throw new DecodeException("Failed to decode: " + e.getMessage(), e);
    }
    return io.vertx.core.json.jackson.JacksonCodec.fromParser(parser, Object.class);
  }

  private static final com.fasterxml.jackson.core.JsonFactory FRAME_PARSERS = frameParsers();

  private static com.fasterxml.jackson.core.JsonFactory frameParsers() {
    com.fasterxml.jackson.core.StreamReadConstraints constraints;
    try (com.fasterxml.jackson.core.JsonParser vertx =
        io.vertx.core.json.jackson.JacksonCodec.createParser("{}")) {
      constraints = vertx.streamReadConstraints();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    return com.fasterxml.jackson.core.JsonFactory.builder()
        .disable(com.fasterxml.jackson.core.JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
        .disable(com.fasterxml.jackson.core.JsonFactory.Feature.INTERN_FIELD_NAMES)
        .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_JAVA_COMMENTS)
        .streamReadConstraints(constraints)
        .build();
  }

  /** @return the key found by {@link #KEY_IN_HEAD}: a Long, a String, or null if unreadable */
  private static Object keyValue(String found) {
    if (!found.startsWith("\"")) {
      return Long.parseLong(found);
    }
    try {
      return io.vertx.core.json.Json.decodeValue(found);
    } catch (DecodeException e) {
      return null;
    }
  }

  private Future<Object> dispatch(String action, Object body) {
    int dot = action.indexOf('.');
    String prefix = dot < 0 ? "" : action.substring(0, dot);
    String name = dot < 0 ? action : action.substring(dot + 1);
    if (!prefix.equals(KORA) && !prefix.equals(RIPTIDE)) {
      ActionHandler handler = node.handler(action);
      if (handler == null) {
        throw new KoraException(ErrorCode.UNKNOWN_ACTION, "unknown action '" + action + "'");
      }
      Future<Object> handled;
      try {
        handled = handler.handle(body, session);
      } catch (KoraException e) {
        return Future.failedFuture(e);
      } catch (RuntimeException e) {
        return Future.failedFuture(new KoraException(ErrorCode.INTERCEPTOR_FAILED,
            "handler of '" + action + "' failed: " + e, e));
      }
      return handled.recover(e -> Future.failedFuture(e instanceof KoraException ? e
          : new KoraException(ErrorCode.INTERCEPTOR_FAILED, "handler of '" + action
              + "' failed: " + e.getMessage(), e)));
    }
    switch (name) {
      case "ping":
        return Future.succeededFuture(System.currentTimeMillis());
      case "mutation":
        return node.mutate(Mutation.fromJson(object(body, "mutation")), session).map("ok");
      case "query": {
        Query query = Query.fromJson(object(body, "query"));
        if (query.entries().stream().anyMatch(entry -> entry.options().subscribe())) {
          pushPrefix = prefix;
          return subscribe(query);
        }
        return node.read(query, session).map(answer -> answer);
      }
      case "subscribe":
        pushPrefix = prefix;
        return subscribe(Query.fromJson(object(body, "query")).subscribing());
      case "unsubscribe":
        return unsubscribe(Query.fromJson(object(body, "query")));
      default:
        throw new KoraException(ErrorCode.UNKNOWN_ACTION, "unknown action '" + action + "'");
    }
  }

  private Future<Object> subscribe(Query query) {
    return node.subscribe(query, this).map(answer -> {
      for (Query.Entry entry : query.entries()) {
        if (entry.options().subscribe()) {
          subscriptions.merge(entry.path(), 1, Integer::sum);
          if (closed) {
            node.unsubscribe(List.of(entry.path()), this);
          }
        }
      }
      return answer;
    });
  }

  private Future<Object> unsubscribe(Query query) {
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
    node.unsubscribe(removed, this);
    return Future.succeededFuture("ok");
  }

  private static JsonObject object(Object body, String what) {
    if (body instanceof JsonObject) {
      return (JsonObject) body;
    }
    if (body == null) {
      return new JsonObject();
    }
    throw new KoraException(what.equals("mutation") ? ErrorCode.INVALID_MUTATION
        : ErrorCode.INVALID_QUERY, "the body of a " + what + " must be a JSON object");
  }

  @Override
  public void push(Mutation part, String partKey, long version, Map<String, Object> frames) {
    if (closed) {
      return;
    }
    PushFrame frame = (PushFrame) frames.get(partKey);
    if (frame == null) {
      frame = new PushFrame(part, transportLimit(maxFrameBytes));
      frames.put(partKey, frame);
    }
    write(frame.webSocketFrame(pushPrefix).retainedDuplicate());
  }

  /**
   * Writes a frame. Replies and pushes both go straight to the Netty channel, past Vert.x's outbound
   * queue, so they leave in the order written: a subscribe reply always before the pushes that
   * follow it. They are flushed by the {@link SocketFlusher} at the end of the task.
   */
  private void send(String frame) {
    if (closed) {
      return;
    }
    write(WebSocketFrames.text(channel.alloc(), frame, transportLimit(maxFrameBytes)));
  }

  /** @param frame a whole WebSocket frame, header included; released once written */
  private void write(ByteBuf frame) {
    ChannelOutboundBuffer backlog = channel.channel().unsafe().outboundBuffer();
    if (backlog != null && backlog.totalPendingWriteBytes() > maxBacklogBytes) {
      // The client reads slower than it is sent to: drop it rather than buffer without bound.
      frame.release();
      System.getLogger(SocketConnection.class.getName()).log(System.Logger.Level.WARNING,
          "closing connection " + session.connectionId() + ": " + backlog.totalPendingWriteBytes()
              + " bytes wait to be sent, over maxBacklogBytes " + maxBacklogBytes);
      channel.close();
      closed();
      return;
    }
    frameOutput.write(frame, frameOutput.voidPromise());
    if (!flushPending) {
      flushPending = true;
      flusher.schedule(this);
    }
  }

  /** Flushes what was written since the last flush; called by the {@link SocketFlusher}. */
  void flush() {
    if (flushPending) {
      flushPending = false;
      channel.flush();
    }
  }

  /** Called once the connection is closed: drops its subscriptions and tells the handlers. */
  void closed() {
    if (closed) {
      return;
    }
    closed = true;
    List<Path> all = new ArrayList<>();
    subscriptions.forEach((path, count) -> {
      for (int i = 0; i < count; i++) {
        all.add(path);
      }
    });
    node.unsubscribe(all, this);
    subscriptions.clear();
    for (ActionHandler handler : node.handlers()) {
      try {
        handler.disconnected(session);
      } catch (RuntimeException e) {
        System.getLogger(SocketConnection.class.getName()).log(System.Logger.Level.WARNING,
            "disconnected() of handler " + handler.action() + " failed", e);
      }
    }
  }
}
