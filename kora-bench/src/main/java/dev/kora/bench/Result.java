package dev.kora.bench;

import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The outcome of one scenario: named figures in insertion order, printed as a table (default) or as one
 * JSON object ({@code --json}). Field names carry their unit ({@code _per_s}, {@code _ms},
 * {@code _bytes}, {@code seconds}) so that scripts can read them without a legend.
 */
final class Result {

  private final String scenario;
  private final Map<String, Object> fields = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();

  Result(String scenario) {
    this.scenario = scenario;
    fields.put("scenario", scenario);
  }

  /** Adds or replaces a figure; null values are printed as {@code n/a} and as JSON null. */
  Result put(String name, Object value) {
    fields.put(name, value);
    return this;
  }

  /**
   * Copies another result's figures (not its scenario name, not its notes), each name after a
   * prefix: one scenario's figures inside another's.
   *
   * @param prefix e.g. {@code single_fanout_}
   * @param other the figures to copy
   */
  Result putAll(String prefix, Result other) {
    other.fields.forEach((name, value) -> {
      if (!name.equals("scenario")) {
        fields.put(prefix + name, value);
      }
    });
    return this;
  }

  /** Adds a line printed under the table (not part of the JSON). */
  Result note(String line) {
    notes.add(line);
    return this;
  }

  Object get(String name) {
    return fields.get(name);
  }

  String scenario() {
    return scenario;
  }

  JsonObject toJson() {
    JsonObject json = new JsonObject();
    fields.forEach((name, value) -> json.put(name, value instanceof Double d && (d.isNaN()
        || d.isInfinite()) ? null : value));
    return json;
  }

  void print(PrintStream out, boolean json) {
    if (json) {
      out.println(toJson().encode());
      out.flush();
      return;
    }
    int width = 0;
    for (String name : fields.keySet()) {
      width = Math.max(width, name.length());
    }
    out.println();
    out.println("kora bench " + scenario);
    out.println("-".repeat(width + 24));
    for (Map.Entry<String, Object> field : fields.entrySet()) {
      if (field.getKey().equals("scenario")) {
        continue;
      }
      out.printf("%-" + width + "s  %s%n", field.getKey(), format(field.getValue()));
    }
    for (String note : notes) {
      out.println("note: " + note);
    }
    out.flush();
  }

  static String format(Object value) {
    if (value == null) {
      return "n/a";
    }
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (Double.isNaN(d)) {
        return "n/a";
      }
      if (Math.abs(d) >= 1000) {
        return String.format(Locale.ROOT, "%,.0f", d);
      }
      if (Math.abs(d) >= 10) {
        return String.format(Locale.ROOT, "%.1f", d);
      }
      return String.format(Locale.ROOT, "%.3f", d);
    }
    if (value instanceof Long || value instanceof Integer) {
      return String.format(Locale.ROOT, "%,d", ((Number) value).longValue());
    }
    return String.valueOf(value);
  }

  /** @return value rounded to 3 decimals, for compact JSON */
  static double round(double value) {
    return Math.round(value * 1000.0) / 1000.0;
  }
}
