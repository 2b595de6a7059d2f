package dev.kora.testkit;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/** JSON literals for tests, written with single quotes for readability. */
public final class TestJson {

  private TestJson() {
  }

  /** @return the object {@code text} with every {@code '} turned into {@code "} */
  public static JsonObject json(String text) {
    return new JsonObject(text.replace('\'', '"'));
  }

  /**
   * Asserts equality of two JSON values (JsonObject compares numbers by value across Integer, Long and
   * Double).
   */
  public static void assertJson(Object expected, Object actual, String what) {
    if (!Objects.equals(expected, actual)) {
      throw new AssertionError(what + ": expected " + expected + " but was " + actual);
    }
  }
}
