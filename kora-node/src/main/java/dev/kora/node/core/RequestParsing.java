package dev.kora.node.core;

import dev.kora.protocol.Action;
import dev.kora.protocol.Frame;
import dev.kora.protocol.FrameCodec;
import dev.kora.tree.KoraException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.Callable;

/**
 * Parses requests so that a large one does not stall the node's event loop, which serves every
 * connection: a frame or body longer than {@link RequestLimits#workerParseBytes} is parsed, and its
 * mutation built and checked, on a Vert.x worker thread; a smaller one at once on the caller's
 * thread. The one place both the WebSocket and the REST transport parse large requests.
 */
public final class RequestParsing {

  private RequestParsing() {
  }

  /**
   * @param node the node
   * @param length the request's length: characters of a frame, bytes of a body
   * @return whether a request of that length is parsed on a worker thread
   */
  public static boolean onWorker(NodeCore node, long length) {
    return length > node.limits().workerParseBytes();
  }

  /**
   * Runs a parse on a worker thread when the request is large, else at once.
   *
   * @param node the node; a worker's result is handed back on its context
   * @param length the request's length, as {@link #onWorker}
   * @param parse the parse; may throw {@link KoraException}
   * @param <T> what it gives
   * @return its result; fails with what it threw
   */
  public static <T> Future<T> parse(NodeCore node, long length, Callable<T> parse) {
    if (onWorker(node, length)) {
      // Unordered: one connection waits for its own large request, others' run in parallel.
      return node.context().executeBlocking(parse, false);
    }
    try {
      return Future.succeededFuture(parse.call());
    } catch (Exception e) {
      return Future.failedFuture(e);
    }
  }

  /**
   * Reads a client's frame ({@link FrameCodec#decodeRequest}) on a worker thread when it is large;
   * the body of a mutation action is then built into a {@link PreparedMutation} there as well
   * (key and value rules, {@link RequestLimits#maxLeavesPerMutation}).
   *
   * @param node the node
   * @param text the frame's text
   * @param maxFrameBytes the largest frame accepted
   * @return the frame; fails with the {@link dev.kora.protocol.FrameException} of a bad frame
   */
  public static Future<Frame> decodeRequest(NodeCore node, String text, int maxFrameBytes) {
    return parse(node, text.length(), () -> prepare(FrameCodec.decodeRequest(text, maxFrameBytes),
        node.limits()));
  }

  private static Frame prepare(Frame frame, RequestLimits limits) {
    if (frame instanceof Frame.Call call && isMutation(call.action())) {
      return new Frame.Call(call.key(), call.action(), prepare(call.body(), limits));
    }
    if (frame instanceof Frame.Cast cast && isMutation(cast.action())) {
      return new Frame.Cast(cast.action(), prepare(cast.body(), limits));
    }
    return frame;
  }

  private static Object prepare(Object body, RequestLimits limits) {
    if (!(body instanceof JsonObject json)) {
      return body; // refused by the action itself, as any other body that is not an object
    }
    try {
      MutationRequest request = MutationRequest.fromBody(json);
      limits.checkLeaves(request.mutation());
      return new PreparedMutation(request, null);
    } catch (KoraException e) {
      return new PreparedMutation(null, e);
    }
  }

  private static boolean isMutation(String action) {
    return Action.of(action) == Action.MUTATION;
  }
}
