package dev.kora.tree;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.jackson.JacksonCodec;
import java.math.BigDecimal;
import java.math.BigInteger;
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
    if (leaf instanceof Encoded encoded) {
      return encoded.json();
    }
    if (leaf instanceof String text) {
      return quote(text);
    }
    if (leaf instanceof Integer || leaf instanceof Long || leaf instanceof Boolean
        || leaf instanceof Double || leaf instanceof BigInteger || leaf instanceof BigDecimal
        || leaf instanceof Float || leaf instanceof Short || leaf instanceof Byte) {
      // Jackson writes these as their toString (finite doubles only reach a store)
      return leaf.toString();
    }
    return STREAMING.toString(leaf, false);
  }

  /**
   * A string as JSON text, escaped exactly as Jackson's generator does it (so that stored rows are
   * the same whichever way they were encoded): the quote and the backslash escaped with a
   * backslash, the control characters as the two-character escapes b, t, n, f, r or as a
   * backslash-u escape of four upper-case hex digits, everything else as it is.
   *
   * @param text a string
   * @return its JSON text, quotes included
   */
  public static String quote(String text) {
    int length = text.length();
    int i = 0;
    while (i < length) {
      char c = text.charAt(i);
      if (c < 0x20 || c == '"' || c == '\\') {
        break;
      }
      i++;
    }
    if (i == length) {
      return "\"" + text + "\"";
    }
    StringBuilder out = new StringBuilder(length + 16).append('"').append(text, 0, i);
    for (; i < length; i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\t' -> out.append("\\t");
        case '\n' -> out.append("\\n");
        case '\f' -> out.append("\\f");
        case '\r' -> out.append("\\r");
        default -> {
          if (c < 0x20) {
            out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 15]);
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  /**
   * A leaf to write whose JSON text was made before, e.g. a change log entry holding a mutation
   * encoded while it waited for its turn: {@link #encode} gives the text as it is. For writing only
   * (it never comes back from a store, which decodes rows into ordinary leaves); the text must be a
   * JSON leaf (a string, number, boolean or array).
   *
   * @param json the leaf's JSON text, e.g. {@code [1765000000000,null,{"merge":{},"delete":{}}]}
   */
  public record Encoded(String json) {
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

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
