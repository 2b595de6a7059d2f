package dev.kora.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.LeafCodec;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JSON text form of {@link Frame}s (docs/protocol.md), for the node and for every client: one JSON
 * object per WebSocket text message, {@code {"type": "call"|"cast"|"reply"|"error", "key": K,
 * "action": A, "body": B}}. Stateless and thread-safe.
 */
public final class FrameCodec {

  /** A number key, or a string key in its JSON form, near the start of a frame. */
  private static final Pattern KEY_IN_HEAD =
      Pattern.compile("\"key\"\\s*:\\s*(-?\\d{1,18}|\"(?:[^\"\\\\]|\\\\.)*\")");

  private static final JsonFactory PARSERS = parsers();
  /** Encodes with Jackson's generator directly, not through jackson-databind (see LeafCodec). */
  private static final JacksonCodec STREAMING = new JacksonCodec();

  private FrameCodec() {
  }

  /**
   * @param frame a frame
   * @return its JSON text, fields in the order {@code type, key, action, body} (replies and errors
   *     without {@code action}, casts without {@code key}), as the Riptide client expects
   */
  public static String encode(Frame frame) {
    if (frame instanceof Frame.Reply reply) {
      String quick = quickReply(reply);
      if (quick != null) {
        return quick;
      }
    }
    JsonObject json = new JsonObject();
    if (frame instanceof Frame.Call call) {
      json.put("type", "call").put("key", call.key()).put("action", call.action())
          .put("body", call.body());
    } else if (frame instanceof Frame.Cast cast) {
      json.put("type", "cast").put("action", cast.action()).put("body", cast.body());
    } else if (frame instanceof Frame.Reply reply) {
      json.put("type", "reply").put("key", reply.key()).put("body", reply.body());
    } else {
      Frame.Error error = (Frame.Error) frame;
      json.put("type", "error").put("key", error.key()).put("body",
          new JsonObject().put("code", error.code()).put("message", error.message()));
    }
    return STREAMING.toString(json, false);
  }

  /**
   * The reply to a write, the most frequent frame, without a JSON generator: a numeric or string key
   * and a body of {@code "ok"}, a number or {@code {"version": N}}; null for any other reply. The
   * text is the one {@link #encode} gives through Jackson (FrameCodecTest checks that).
   */
  private static String quickReply(Frame.Reply reply) {
    Object key = reply.key();
    Object body = reply.body();
    String bodyText;
    if (body instanceof Long || body instanceof Integer) {
      bodyText = body.toString();
    } else if ("ok".equals(body)) {
      bodyText = "\"ok\"";
    } else if (body instanceof JsonObject object && object.size() == 1
        && object.getValue("version") instanceof Long version) {
      bodyText = "{\"version\":" + version + "}";
    } else {
      return null;
    }
    String keyText;
    if (key instanceof Long || key instanceof Integer) {
      keyText = key.toString();
    } else if (key instanceof String text) {
      keyText = LeafCodec.quote(text);
    } else {
      return null;
    }
    return "{\"type\":\"reply\",\"key\":" + keyText + ",\"body\":" + bodyText + "}";
  }

  /**
   * Reads a frame a client sent to a node: a call or a cast.
   *
   * @param text the message's text
   * @param maxBytes the largest message accepted, in UTF-8 bytes
   * @return a {@link Frame.Call} or a {@link Frame.Cast}
   * @throws FrameException {@code too_large} over {@code maxBytes} (answered under the key found near
   *     the start, if any), {@code invalid_json} for text that is not JSON, {@code invalid_message}
   *     for JSON that is not a call or a cast: not an object, another {@code type}, a call without a
   *     number or string {@code key}, an {@code action} that is not a string
   */
  public static Frame decodeRequest(String text, int maxBytes) {
    // A character is 1 to 3 UTF-8 bytes (a surrogate pair 4 for 2): only long texts need counting.
    long bytes = text.length() > maxBytes / 3 ? text.getBytes(StandardCharsets.UTF_8).length
        : text.length();
    if (bytes > maxBytes) {
      Matcher key = KEY_IN_HEAD.matcher(text.substring(0, Math.min(text.length(), 256)));
      throw new FrameException(key.find() ? keyValue(key.group(1)) : null, ErrorCode.TOO_LARGE,
          "frame of " + bytes + " bytes exceeds the limit of " + maxBytes + " bytes");
    }
    JsonObject frame = parseObject(text);
    Object key = frame.getValue("key");
    Object type = frame.getValue("type");
    boolean call = "call".equals(type);
    if (!call && !"cast".equals(type)) {
      throw new FrameException(key, ErrorCode.INVALID_MESSAGE,
          "'type' must be \"call\" or \"cast\", got " + type);
    }
    if (call && !(key instanceof Number || key instanceof String)) {
      throw new FrameException(null, ErrorCode.INVALID_MESSAGE,
          "a call needs a 'key' (a number or string) to match its reply");
    }
    Object action = frame.getValue("action");
    if (!(action instanceof String)) {
      throw new FrameException(call ? key : null, ErrorCode.INVALID_MESSAGE,
          "'action' must be a string");
    }
    return call ? new Frame.Call(key, (String) action, frame.getValue("body"))
        : new Frame.Cast((String) action, frame.getValue("body"));
  }

  /**
   * Reads a frame a node sent to a client: a reply, an error or a cast.
   *
   * @param text the message's text
   * @return the frame
   * @throws FrameException {@code invalid_json} or {@code invalid_message} when it is none of them
   */
  public static Frame decodeAnswer(String text) {
    JsonObject frame = parseObject(text);
    Object type = frame.getValue("type");
    if ("reply".equals(type)) {
      return new Frame.Reply(frame.getValue("key"), frame.getValue("body"));
    }
    if ("error".equals(type)) {
      Object body = frame.getValue("body");
      JsonObject error = body instanceof JsonObject ? (JsonObject) body : new JsonObject();
      return new Frame.Error(frame.getValue("key"), error.getString("code", ErrorCode.INTERNAL),
          error.getString("message", ""));
    }
    if ("cast".equals(type) && frame.getValue("action") instanceof String action) {
      return new Frame.Cast(action, frame.getValue("body"));
    }
    throw new FrameException(null, ErrorCode.INVALID_MESSAGE,
        "'type' must be \"reply\", \"error\" or \"cast\", got " + type);
  }

  private static JsonObject parseObject(String text) {
    Object parsed;
    try {
      parsed = parse(text);
    } catch (DecodeException e) {
      throw new FrameException(null, ErrorCode.INVALID_JSON, "frame is not valid JSON: "
          + e.getMessage());
    }
    if (!(parsed instanceof JsonObject)) {
      throw new FrameException(null, ErrorCode.INVALID_MESSAGE, "a frame must be a JSON object");
    }
    return (JsonObject) parsed;
  }

  /**
   * Parses JSON text like {@code Json.decodeValue} (same result types, same {@link DecodeException}s,
   * same read constraints, comments allowed) but without Jackson's field-name canonicalization. Data
   * keys are JSON field names here, and random keys (millions of distinct ones) degrade Jackson's
   * shared symbol table into long collision chains: with it, parsing a single-leaf mutation frame cost
   * several times more and was a large share of the node's event loop under write load.
   *
   * @param text JSON text
   * @return a JsonObject, JsonArray, String, Number, Boolean or null
   * @throws DecodeException when the text is not JSON
   */
  public static Object parse(String text) {
    JsonParser parser;
    try {
      parser = PARSERS.createParser(text);
    } catch (IOException e) {
      throw new DecodeException("Failed to decode: " + e.getMessage(), e);
    }
    return JacksonCodec.fromParser(parser, Object.class);
  }

  private static JsonFactory parsers() {
    StreamReadConstraints constraints;
    try (JsonParser vertx = JacksonCodec.createParser("{}")) {
      constraints = vertx.streamReadConstraints();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return JsonFactory.builder()
        .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
        .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
        .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
        .streamReadConstraints(constraints)
        .build();
  }

  /** @return a key found by {@link #KEY_IN_HEAD}: a Long, a String, or null if unreadable */
  private static Object keyValue(String found) {
    if (!found.startsWith("\"")) {
      return Long.parseLong(found);
    }
    try {
      return Json.decodeValue(found);
    } catch (DecodeException e) {
      return null;
    }
  }
}
