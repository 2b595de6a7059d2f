package dev.kora.tree;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.jackson.JacksonCodec;
import java.util.List;

/**
 * The stored form of a leaf: its JSON text ({@code "milk"} with quotes, {@code 42}, {@code true},
 * {@code [1,2]}). Every store keeps leaves in this form.
 */
public final class LeafCodec {

  /**
   * Jackson's streaming generator, used directly: {@code Json.encode} goes through jackson-databind's
   * ObjectMapper when that is on the class path, which builds a serializer provider per call — a
   * cost paid for every leaf written. The text is the same.
   */
  private static final JacksonCodec STREAMING = new JacksonCodec();

  private LeafCodec() {
  }

  /**
   * @param leaf a string, number, boolean or JsonArray
   * @return its JSON text
   */
  public static String encode(Object leaf) {
    return STREAMING.toString(leaf, false);
  }

  /**
   * @param json a leaf's JSON text as stored
   * @return the leaf: String, Number, Boolean or JsonArray
   * @throws KoraException with code {@code internal} if the text is not a JSON leaf (a corrupt row)
   */
  @SuppressWarnings("unchecked")
  public static Object decode(String json) {
    try {
      Object value = Json.decodeValue(json);
      if (value instanceof List) {
        return new JsonArray((List<Object>) value);
      }
      if (value == null || value instanceof io.vertx.core.json.JsonObject) {
        throw new KoraException(ErrorCode.INTERNAL, "stored leaf is not a leaf: " + json);
      }
      return value;
    } catch (DecodeException e) {
      throw new KoraException(ErrorCode.INTERNAL, "stored leaf is not valid JSON: " + json, e);
    }
  }
}
