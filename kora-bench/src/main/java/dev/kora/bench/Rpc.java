package dev.kora.bench;

import dev.kora.protocol.Action;
import dev.kora.protocol.Dialect;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Calls over one connection, matched to their answers by key; answers are the raw frame text so that
 * callers time the arrival before paying for parsing. Thread-safe.
 */
final class Rpc {

  private final Clients.Connection connection;
  private final Map<Long, Promise<String>> pending = new ConcurrentHashMap<>();
  private final AtomicLong keys = new AtomicLong();

  Rpc(Clients.Connection connection) {
    this.connection = connection;
    connection.socket().exceptionHandler(e -> { });
    connection.socket().textMessageHandler(this::onText);
  }

  /**
   * @param action e.g. {@code kora.query}
   * @param body the body as JSON text
   * @return the answering frame's text (a reply or an error)
   */
  Future<String> call(String action, String body) {
    long key = keys.incrementAndGet();
    Promise<String> promise = Promise.promise();
    pending.put(key, promise);
    connection.socket().writeTextMessage("{\"type\":\"call\",\"key\":" + key + ",\"action\":\""
        + action + "\",\"body\":" + body + "}");
    return promise.future();
  }

  /** Calls and waits at most 5 minutes; fails on an error frame. */
  String await(String action, String body) {
    String frame = call(action, body).toCompletionStage().toCompletableFuture()
        .orTimeout(5, TimeUnit.MINUTES).join();
    if (!isReply(frame)) {
      throw new IllegalStateException(action + " failed: " + abbreviate(frame));
    }
    return frame;
  }

  /**
   * Writes mutations with {@code kora.mutation}, at most {@code inFlight} unanswered at a time, and
   * waits for the last answer.
   *
   * @param bodies the mutations as JSON text, in order
   * @param inFlight most calls waiting for their answer
   * @throws IllegalStateException when one is answered with an error
   */
  void writeAll(Iterable<String> bodies, int inFlight) {
    ArrayDeque<Future<String>> waiting = new ArrayDeque<>();
    String action = Action.MUTATION.wireName(Dialect.KORA);
    for (String body : bodies) {
      if (waiting.size() >= inFlight) {
        checkWritten(waiting.poll());
      }
      waiting.add(call(action, body));
    }
    while (!waiting.isEmpty()) {
      checkWritten(waiting.poll());
    }
  }

  private static void checkWritten(Future<String> call) {
    String frame = call.toCompletionStage().toCompletableFuture().orTimeout(5, TimeUnit.MINUTES)
        .join();
    if (!isReply(frame)) {
      throw new IllegalStateException("a write failed: " + abbreviate(frame));
    }
  }

  static boolean isReply(String frame) {
    return frame.startsWith("{\"type\":\"reply\"");
  }

  /** @return the body of a reply frame, parsed */
  static Object body(String frame) {
    return new JsonObject(frame).getValue("body");
  }

  static String abbreviate(String text) {
    return text.length() > 300 ? text.substring(0, 300) + "..." : text;
  }

  private void onText(String text) {
    int at = text.indexOf("\"key\":");
    if (at < 0 || at > 40) {
      return;
    }
    long key = 0;
    for (int i = at + 6; i < text.length() && Character.isDigit(text.charAt(i)); i++) {
      key = key * 10 + (text.charAt(i) - '0');
    }
    Promise<String> promise = pending.remove(key);
    if (promise != null) {
      promise.tryComplete(text);
    }
  }
}
