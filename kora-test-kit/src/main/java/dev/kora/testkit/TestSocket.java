package dev.kora.testkit;

import dev.kora.client.connection.KoraConnection;
import dev.kora.protocol.Action;
import dev.kora.protocol.Dialect;
import dev.kora.protocol.Errors;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * A test client for the WebSocket protocol over a real socket, on kora-client's {@link KoraConnection}
 * (the project's one protocol client): calls matched to their replies by key,
 * every received frame logged in arrival order, and a queue of the frames that answer no call (casts
 * and errors without a key) with awaiting helpers that time out instead of sleeping.
 *
 * <p>Part of kora-test-kit, shared by the node's, the CLI's and the examples' tests.
 *
 * <p>Thread-safe: the socket's handlers run on the context that connected it, test code may run
 * anywhere. Promises are completed outside the lock.
 */
public final class TestSocket {

  /** How long any awaited frame may take before the future fails, unless connected with another. */
  public static final long TIMEOUT_MS = 5_000;
  /** A longer wait, for nodes doing deliberately slow work such as password hashing. */
  public static final long PATIENT_TIMEOUT_MS = 15_000;

  private final Vertx vertx;
  private final long timeoutMs;
  private final KoraConnection connection;
  private final List<JsonObject> log = new ArrayList<>();
  private final ArrayDeque<JsonObject> unmatched = new ArrayDeque<>();
  private final ArrayDeque<Promise<JsonObject>> waiters = new ArrayDeque<>();
  private final Promise<Short> closed = Promise.promise();

  private TestSocket(Vertx vertx, long timeoutMs, KoraConnection connection) {
    this.vertx = vertx;
    this.timeoutMs = timeoutMs;
    this.connection = connection;
    connection.textHandler(text -> {
      synchronized (this) {
        log.add(new JsonObject(text));
      }
    });
    connection.unsolicitedHandler(this::onUnsolicited);
    connection.closeHandler(closed::tryComplete);
  }

  /** Connects to {@code ws://127.0.0.1:port/socket} with default client options. */
  public static Future<TestSocket> connect(Vertx vertx, int port) {
    return connect(vertx, port, TIMEOUT_MS);
  }

  /**
   * Connects with default client options, which accept what a node may send (16 MiB frames).
   *
   * @param timeoutMs how long any awaited frame may take, e.g. {@link #PATIENT_TIMEOUT_MS}
   */
  public static Future<TestSocket> connect(Vertx vertx, int port, long timeoutMs) {
    return connect(vertx, port, KoraConnection.defaultClientOptions(), timeoutMs);
  }

  /** Connects with the given client options. */
  public static Future<TestSocket> connect(Vertx vertx, int port, WebSocketClientOptions options) {
    return connect(vertx, port, options, TIMEOUT_MS);
  }

  /** Connects with the given client options and wait for frames. */
  public static Future<TestSocket> connect(Vertx vertx, int port, WebSocketClientOptions options,
      long timeoutMs) {
    return connect(vertx, "127.0.0.1", port, options, timeoutMs);
  }

  /**
   * Connects to a node on another host than loopback, e.g. in a network namespace of the test's.
   *
   * @param host the node's address, e.g. {@code 10.213.7.1}
   * @param port its port
   */
  public static Future<TestSocket> connect(Vertx vertx, String host, int port) {
    return connect(vertx, host, port, KoraConnection.defaultClientOptions(), TIMEOUT_MS);
  }

  private static Future<TestSocket> connect(Vertx vertx, String host, int port,
      WebSocketClientOptions options, long timeoutMs) {
    return KoraConnection.connect(vertx, new WebSocketConnectOptions().setHost(host)
            .setPort(port).setURI("/socket"), options)
        .map(connection -> new TestSocket(vertx, timeoutMs, connection));
  }

  private void onUnsolicited(String text) {
    JsonObject frame = new JsonObject(text);
    Promise<JsonObject> target;
    synchronized (this) {
      target = waiters.poll();
      if (target == null) {
        unmatched.add(frame);
        return;
      }
    }
    target.tryComplete(frame);
  }

  /**
   * Sends a call with a fresh numeric key.
   *
   * @return the frame answering it: a {@code reply} or an {@code error}
   */
  public Future<JsonObject> call(String action, Object body) {
    long key = connection.nextKey();
    return callFrame(new JsonObject().put("type", "call").put("key", key).put("action", action)
        .put("body", body));
  }

  /**
   * Sends a frame that carries a {@code key} and waits for the frame with the same key.
   *
   * @param frame a call frame, possibly malformed, with its {@code key}
   * @return the answering frame
   */
  public Future<JsonObject> callFrame(JsonObject frame) {
    Promise<JsonObject> promise = Promise.promise();
    connection.callText(frame.getValue("key"), frame.encode())
        .map(JsonObject::new).onComplete(promise);
    return withTimeout(promise, "answer to " + abbreviate(frame.encode()));
  }

  /** @return the reply body of a call; fails with the error frame's code if it was refused */
  public Future<Object> request(String action, Object body) {
    return call(action, body).compose(frame -> {
      if ("reply".equals(frame.getString("type"))) {
        return Future.succeededFuture(frame.getValue("body"));
      }
      Object error = frame.getValue("body");
      return Future.failedFuture(Errors.fromJson(error instanceof JsonObject ? (JsonObject) error
          : new JsonObject().put("message", frame.encode())));
    });
  }

  /**
   * @param code the expected error code
   * @return the error's message; fails if the call was answered otherwise
   */
  public Future<String> refused(String action, Object body, String code) {
    return call(action, body).compose(frame -> {
      JsonObject error = frame.getJsonObject("body");
      if ("error".equals(frame.getString("type")) && error != null
          && code.equals(error.getString("code"))) {
        return Future.succeededFuture(error.getString("message"));
      }
      return Future.failedFuture(new AssertionError(action + " " + body + ": expected error '"
          + code + "', got " + frame.encode()));
    });
  }

  /** @return writes a mutation ({@code kora.mutation}) and checks it was answered with a version */
  public Future<Void> mutate(Object mutation) {
    return write(mutation).mapEmpty();
  }

  /**
   * Writes a mutation given as JSON text with {@code kora.mutation}.
   *
   * @param mutation e.g. {@code {"merge": {"a": 1}}}
   * @return the version of its commit, as {@link #write(Object)}
   */
  public Future<Long> write(String mutation) {
    return write((Object) new JsonObject(mutation));
  }

  /**
   * Writes a mutation with {@code kora.mutation}.
   *
   * @return the version of its commit, from the reply {@code {"version": V}}; fails if the reply is
   *     anything else
   */
  public Future<Long> write(Object mutation) {
    return request(Action.MUTATION.wireName(Dialect.KORA), mutation).compose(body ->
        body instanceof JsonObject reply && reply.size() == 1
            && reply.getValue("version") instanceof Number version
            ? Future.succeededFuture(version.longValue())
            : Future.failedFuture(new AssertionError("mutation answered " + body)));
  }

  /**
   * @return the reply of {@code kora.query} without its {@code version} (see {@link #answer}):
   *     {@code {"merge": ..., "delete": ...}}
   */
  public Future<JsonObject> query(Object query) {
    return answer(query).map(answer -> {
      answer.remove("version");
      return answer;
    });
  }

  /**
   * @return the whole reply of {@code kora.query}: {@code {"merge": ..., "delete": ..., "version":
   *     V}}; fails if the version is missing or not a number
   */
  public Future<JsonObject> answer(Object query) {
    return request(Action.QUERY.wireName(Dialect.KORA), query).compose(body ->
        body instanceof JsonObject answer && answer.getValue("version") instanceof Number
            ? Future.succeededFuture(answer)
            : Future.failedFuture(new AssertionError("kora.query answered without a version: "
                + body)));
  }

  /** Sends raw text as one text message. */
  public Future<Void> send(String text) {
    return connection.writeText(text);
  }

  /** Sends raw bytes as one binary message. */
  public Future<Void> sendBinary(Buffer bytes) {
    return connection.writeBinary(bytes);
  }

  /** @return the next frame that answers no call (a cast or a keyless error), within the timeout */
  public Future<JsonObject> next() {
    Promise<JsonObject> promise = Promise.promise();
    JsonObject ready;
    synchronized (this) {
      ready = unmatched.poll();
      if (ready == null) {
        waiters.add(promise);
      }
    }
    if (ready != null) {
      return Future.succeededFuture(ready);
    }
    return withTimeout(promise, "an unsolicited frame");
  }

  /** @return the next unsolicited frame, which must be a cast */
  public Future<JsonObject> nextCast() {
    return next().compose(frame -> "cast".equals(frame.getString("type"))
        ? Future.succeededFuture(frame)
        : Future.failedFuture(new AssertionError("expected a cast, got " + frame.encode())));
  }

  /**
   * A ping round trip: once it returns, every frame the server sent before answering the ping has
   * arrived.
   */
  public Future<Void> roundTrip() {
    return request(Action.PING.wireName(Dialect.KORA), null).mapEmpty();
  }

  /**
   * A round trip, then takes every unsolicited frame queued.
   *
   * @return the frames the server sent before answering the ping and not yet taken
   */
  public Future<List<JsonObject>> drain() {
    return roundTrip().map(v -> {
      synchronized (this) {
        List<JsonObject> all = new ArrayList<>(unmatched);
        unmatched.clear();
        return all;
      }
    });
  }

  /** @return the unsolicited frames received and not yet taken with {@link #next()} */
  public synchronized List<JsonObject> unsolicited() {
    return new ArrayList<>(unmatched);
  }

  /** @return after a round trip, fails if any unsolicited frame (cast or keyless error) is queued */
  public Future<Void> expectNothingMore() {
    return roundTrip().compose(v -> {
      List<JsonObject> extra = unsolicited();
      return extra.isEmpty() ? Future.succeededFuture()
          : Future.failedFuture(new AssertionError("unexpected frames: " + extra));
    });
  }

  /** @return every frame received so far, in arrival order */
  public synchronized List<JsonObject> frames() {
    return new ArrayList<>(log);
  }

  /** @return completes with the close status code once the socket is closed */
  public Future<Short> closed() {
    return withTimeout(closed, "the socket to close");
  }

  /** @return whether the socket is closed */
  public boolean isClosed() {
    return connection.isClosed();
  }

  /** Closes the socket and the client. */
  /** Stops reading from the connection (the node's frames pile up in the socket buffers). */
  public void pauseReading() {
    connection.pause();
  }

  /** Reads from the connection again after {@link #pauseReading()}. */
  public void resumeReading() {
    connection.resume();
  }

  public Future<Void> close() {
    return connection.close();
  }

  /** @return {@code text}, cut to 200 characters for messages */
  public static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "...(" + text.length() + " chars)";
  }

  private <T> Future<T> withTimeout(Promise<T> promise, String what) {
    long timer = vertx.setTimer(timeoutMs, id -> {
      synchronized (this) {
        waiters.remove(promise);
      }
      promise.tryFail(new TimeoutException("no " + what + " within " + timeoutMs + " ms"));
    });
    return promise.future().onComplete(done -> vertx.cancelTimer(timer));
  }
}
