package dev.kora.bench;

import dev.kora.client.connection.KoraConnection;
import dev.kora.protocol.Action;
import dev.kora.protocol.Dialect;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * Calls over one connection through kora-client's {@link KoraConnection}; answers are the raw frame
 * text so that callers time the arrival before paying for parsing. Thread-safe.
 */
final class Rpc {

  private final KoraConnection connection;

  Rpc(Clients.Connection connection) {
    this.connection = KoraConnection.over(connection.socket());
  }

  /**
   * @param action e.g. {@code kora.query}
   * @param body the body as JSON text
   * @return the answering frame's text (a reply or an error)
   */
  Future<String> call(String action, String body) {
    return connection.callText(action, body);
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
}
