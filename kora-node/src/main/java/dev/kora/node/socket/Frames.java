package dev.kora.node.socket;

import dev.kora.tree.KoraException;
import io.vertx.core.json.JsonObject;

/**
 * Builds the frames of the WebSocket protocol (docs/protocol.md): replies, errors and casts, each one
 * JSON object.
 */
final class Frames {

  private Frames() {
  }

  /** {@code {"type":"reply","key":K,"body":B}} */
  static String reply(Object key, Object body) {
    return new JsonObject().put("type", "reply").put("key", key).put("body", body).encode();
  }

  /** {@code {"type":"error","key":K,"body":{"code":C,"message":M}}} */
  static String error(Object key, String code, String message) {
    return new JsonObject().put("type", "error").put("key", key)
        .put("body", new JsonObject().put("code", code).put("message", message)).encode();
  }

  /** @return the error frame for a failure */
  static String error(Object key, KoraException e) {
    return error(key, e.code(), e.getMessage());
  }

  /** {@code {"type":"cast","action":A,"body":B}} */
  static String cast(String action, Object body) {
    return new JsonObject().put("type", "cast").put("action", action).put("body", body).encode();
  }
}
