package dev.kora.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;

/** Reads one JSON value from a streaming Jackson parser into Vert.x JSON types. */
final class JsonValues {

  private JsonValues() {
  }

  /**
   * @param parser positioned on the value's first token
   * @return the value: JsonObject, JsonArray, String, Number, Boolean or null
   */
  static Object read(JsonParser parser) throws IOException {
    JsonToken token = parser.currentToken();
    if (token == null) {
      throw new KoraException(ErrorCode.INVALID_JSON, "unexpected end of JSON input");
    }
    switch (token) {
      case START_OBJECT: {
        JsonObject object = new JsonObject();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String name = parser.currentName();
          parser.nextToken();
          object.put(name, read(parser));
        }
        return object;
      }
      case START_ARRAY: {
        JsonArray array = new JsonArray();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          array.add(read(parser));
        }
        return array;
      }
      case VALUE_STRING:
        return parser.getText();
      case VALUE_NUMBER_INT:
        return parser.getNumberValue();
      case VALUE_NUMBER_FLOAT:
        return parser.getDoubleValue();
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NULL:
        return null;
      default:
        throw new KoraException(ErrorCode.INVALID_JSON, "unexpected JSON token " + token
            + " at " + parser.currentLocation());
    }
  }
}
