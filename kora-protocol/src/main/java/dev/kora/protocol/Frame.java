package dev.kora.protocol;

import java.util.Objects;

/**
 * One message of the WebSocket protocol (docs/protocol.md): a JSON object whose {@code type} says what
 * it is. Clients send {@link Call calls} (answered) and {@link Cast casts} (not answered); the node
 * answers a call with a {@link Reply} or an {@link Error} carrying the call's key, and pushes
 * committed changes as casts. Immutable values; {@link FrameCodec} turns them into JSON text and back.
 *
 * <p>Keys are a JSON number (a {@code Long}) or a JSON string chosen by the client; bodies are any
 * JSON value as Vert.x represents it ({@code JsonObject}, {@code JsonArray}, {@code String},
 * {@code Number}, {@code Boolean} or null).
 */
public sealed interface Frame {

  /**
   * {@code {"type":"call","key":1,"action":"kora.query","body":{"todos":{}}}}: a request answered by a
   * reply or an error with the same key.
   *
   * @param key the client's key, a Long or a String; not null
   * @param action the action name, e.g. {@code kora.mutation} or an application's {@code todo.login}
   * @param body the request's body, any JSON value or null
   */
  record Call(Object key, String action, Object body) implements Frame {
    public Call {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(action, "action");
    }
  }

  /**
   * {@code {"type":"cast","action":"riptide.mutation","body":{...}}}: a message no one answers; the
   * node's pushes are casts.
   *
   * @param action the action name
   * @param body the body, any JSON value or null
   */
  record Cast(String action, Object body) implements Frame {
    public Cast {
      Objects.requireNonNull(action, "action");
    }
  }

  /**
   * {@code {"type":"reply","key":1,"body":"ok"}}: the successful answer to a call.
   *
   * @param key the call's key
   * @param body the answer, any JSON value or null
   */
  record Reply(Object key, Object body) implements Frame {
  }

  /**
   * {@code {"type":"error","key":1,"body":{"code":"invalid_key","message":"..."}}}: a refused call,
   * or (key null) a frame the node could not read well enough to find its key.
   *
   * @param key the call's key, or null
   * @param code a stable code of {@link dev.kora.tree.ErrorCode}
   * @param message for humans; may change between versions
   */
  record Error(Object key, String code, String message) implements Frame {
    public Error {
      Objects.requireNonNull(code, "code");
      Objects.requireNonNull(message, "message");
    }
  }
}
