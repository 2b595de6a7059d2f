package dev.kora.tree;

import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * The options at one queried path. They bound the children directly under the path, in key byte order;
 * each returned child comes whole.
 *
 * @param min first child key to include (inclusive), or null for no lower bound
 * @param max child key to stop before (exclusive), or null for no upper bound
 * @param limit at most this many children counted from {@code min}, or null for all
 * @param subscribe whether the connection also subscribes to the path
 * @param since resume from this version: the client holds the path's data as of it and wants what
 *     changed after it (docs/protocol.md, "Versions and resume"); null for the whole data. Only on a
 *     whole path (no min, max or limit).
 */
public record QueryOptions(String min, String max, Integer limit, boolean subscribe, Long since) {

  /** The whole subtree, no subscription: {@code {}}. */
  public static final QueryOptions WHOLE = new QueryOptions(null, null, null, false, null);

  /**
   * Options without {@code since}.
   *
   * @param min first child key to include, or null
   * @param max child key to stop before, or null
   * @param limit most children, or null
   * @param subscribe whether to subscribe
   */
  public QueryOptions(String min, String max, Integer limit, boolean subscribe) {
    this(min, max, limit, subscribe, null);
  }

  public QueryOptions {
    if (since != null && (since < 0 || min != null || max != null || limit != null)) {
      throw new KoraException(ErrorCode.INVALID_QUERY, since < 0
          ? "'since' must be a version, a whole number of at least 0"
          : "'since' resumes a whole path; it cannot go with min, max or limit");
    }
  }

  /** @return whether no bound is set, so the whole subtree is asked for (also with {@code since}) */
  public boolean isWhole() {
    return min == null && max == null && limit == null;
  }

  /** @return these options with {@code subscribe} set as given */
  public QueryOptions withSubscribe(boolean value) {
    return new QueryOptions(min, max, limit, value, since);
  }

  /**
   * @param version the version to resume from, or null
   * @return these options with {@code since} set as given
   */
  public QueryOptions withSince(Long version) {
    return new QueryOptions(min, max, limit, subscribe, version);
  }

  /**
   * Parses an options object such as {@code {"min": "b", "limit": 10, "subscribe": true}}. A limit
   * may be a whole number or a string of digits (the Riptide JavaScript client types it as a string).
   *
   * @param json the options object; its values are not objects
   * @param path the queried path, for error messages
   * @return the options
   * @throws KoraException {@code invalid_query} for an unknown option or a value of the wrong type
   */
  public static QueryOptions fromJson(JsonObject json, Path path) {
    String min = null;
    String max = null;
    Integer limit = null;
    boolean subscribe = false;
    Long since = null;
    for (Map.Entry<String, Object> entry : json) {
      Object value = entry.getValue();
      switch (entry.getKey()) {
        case "min" -> min = key(value, "min", path);
        case "max" -> max = key(value, "max", path);
        case "limit" -> limit = limit(value, path);
        case "subscribe" -> {
          if (value != null && !(value instanceof Boolean)) {
            throw invalid(path, "'subscribe' must be true or false");
          }
          subscribe = Boolean.TRUE.equals(value);
        }
        case "since" -> since = since(value, path);
        default -> throw invalid(path, "unknown query option '" + entry.getKey()
            + "'; the options are min, max, limit, subscribe and since");
      }
    }
    try {
      return new QueryOptions(min, max, limit, subscribe, since);
    } catch (KoraException e) {
      throw invalid(path, e.getMessage());
    }
  }

  private static String key(Object value, String option, Path path) {
    if (value == null) {
      return null;
    }
    if (!(value instanceof String)) {
      throw invalid(path, "'" + option + "' must be a key (a string)");
    }
    return (String) value;
  }

  private static Integer limit(Object value, Path path) {
    if (value == null) {
      return null;
    }
    long number;
    if (value instanceof Number && ((Number) value).doubleValue() == ((Number) value).longValue()) {
      number = ((Number) value).longValue();
    } else if (value instanceof String && ((String) value).matches("[0-9]{1,10}")) {
      number = Long.parseLong((String) value);
    } else {
      throw invalid(path, "'limit' must be a whole number, got " + value);
    }
    if (number < 0 || number > Integer.MAX_VALUE) {
      throw invalid(path, "'limit' must be between 0 and " + Integer.MAX_VALUE);
    }
    return (int) number;
  }

  private static Long since(Object value, Path path) {
    if (value == null) {
      return null;
    }
    long version;
    if (value instanceof Integer || value instanceof Long || value instanceof Short) {
      version = ((Number) value).longValue();
    } else if (value instanceof Number number && number.doubleValue() == Math.rint(
        number.doubleValue()) && Math.abs(number.doubleValue()) <= 0x1p53) {
      version = (long) number.doubleValue(); // 42.0, as some JSON encoders write whole numbers
    } else {
      throw invalid(path, "'since' must be a version, a whole number of at least 0, got " + value);
    }
    if (version < 0) {
      throw invalid(path, "'since' must be a version, a whole number of at least 0, got " + value);
    }
    return version;
  }

  private static KoraException invalid(Path path, String message) {
    return new KoraException(ErrorCode.INVALID_QUERY, "query at '" + path + "': " + message);
  }

  /** @return the options object, with only the options that are set */
  public JsonObject toJson() {
    JsonObject json = new JsonObject();
    if (min != null) {
      json.put("min", min);
    }
    if (max != null) {
      json.put("max", max);
    }
    if (limit != null) {
      json.put("limit", limit);
    }
    if (subscribe) {
      json.put("subscribe", true);
    }
    if (since != null) {
      json.put("since", since);
    }
    return json;
  }

  /**
   * @param key a child key
   * @return whether the key lies within {@code min} (inclusive) and {@code max} (exclusive)
   */
  public boolean inRange(String key) {
    return (min == null || Path.compareKeys(key, min) >= 0)
        && (max == null || Path.compareKeys(key, max) < 0);
  }
}
