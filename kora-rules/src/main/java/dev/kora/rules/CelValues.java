package dev.kora.rules;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns tree values into the values the Common Expression Language works on: a subtree
 * ({@code JsonObject}) becomes a {@code map(string, dyn)}, an array a {@code list(dyn)}, integral
 * numbers {@code int} ({@code Long}), other numbers {@code double}, strings and booleans themselves, and
 * a missing value CEL's {@code null}. See the CEL language definition, "Values"
 * (https://github.com/google/cel-spec/blob/master/doc/langdef.md#values).
 */
final class CelValues {

  /** CEL's {@code null}. */
  static final Object NULL = dev.cel.common.values.NullValue.NULL_VALUE;

  private CelValues() {
  }

  /**
   * @param value a tree value: a JsonObject subtree, a JsonArray, a leaf, or null
   * @return the CEL value
   */
  static Object of(Object value) {
    if (value == null) {
      return NULL;
    }
    if (value instanceof JsonObject object) {
      Map<String, Object> map = new LinkedHashMap<>();
      for (Map.Entry<String, Object> entry : object) {
        map.put(entry.getKey(), of(entry.getValue()));
      }
      return map;
    }
    if (value instanceof JsonArray array) {
      List<Object> list = new ArrayList<>(array.size());
      for (Object element : array) {
        list.add(of(element));
      }
      return list;
    }
    if (value instanceof Map<?, ?> map) {
      return of(new JsonObject(castMap(map)));
    }
    if (value instanceof List<?> list) {
      return of(new JsonArray(new ArrayList<>(list)));
    }
    if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    if (value instanceof Float) {
      return ((Float) value).doubleValue();
    }
    if (value instanceof java.math.BigDecimal || value instanceof java.math.BigInteger) {
      return ((Number) value).doubleValue();
    }
    return value;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Map<?, ?> map) {
    return (Map<String, Object>) map;
  }
}
