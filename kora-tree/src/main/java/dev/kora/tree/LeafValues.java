package dev.kora.tree;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.util.Map;

/**
 * The value rules of leaves: a leaf must come back from the store and over the wire exactly as it
 * was written, so values that JSON text or UTF-8 cannot carry are refused rather than changed.
 *
 * <ul>
 *   <li>numbers: finite; a {@code double} or {@code float} that is NaN or infinite (JSON text such as
 *       {@code 1e400} parses to infinity) and a {@code BigDecimal} beyond the range of a
 *       {@code double} (it would be read back as infinity) are refused. Whole numbers of any size
 *       ({@code BigInteger}) are kept exactly;</li>
 *   <li>strings, and keys of objects inside arrays: valid Unicode, no lone UTF-16 surrogate (UTF-8
 *       cannot encode one: it would be stored and sent as {@code ?}).</li>
 * </ul>
 *
 * <p>Keys of the tree itself follow {@link Path#checkKey}. Stateless.
 */
public final class LeafValues {

  private LeafValues() {
  }

  /**
   * Checks one leaf, and every element of an array leaf.
   *
   * @param path where the leaf is written, for the message
   * @param leaf a string, number, boolean or JsonArray
   * @throws KoraException {@code invalid_mutation} naming the path and the rule the value breaks
   */
  public static void check(Path path, Object leaf) {
    if (leaf instanceof String text) {
      if (hasLoneSurrogate(text)) {
        throw refused(path, "a string that is not valid Unicode (lone surrogate)");
      }
    } else if (leaf instanceof Number number) {
      checkNumber(path, number);
    } else if (leaf instanceof JsonArray array) {
      for (Object element : array) {
        checkInArray(path, Tree.normalizeValue(element));
      }
    }
  }

  private static void checkInArray(Path path, Object value) {
    if (value instanceof JsonObject object) {
      for (Map.Entry<String, Object> entry : object) {
        if (hasLoneSurrogate(entry.getKey())) {
          throw refused(path, "an object key that is not valid Unicode (lone surrogate)");
        }
        checkInArray(path, Tree.normalizeValue(entry.getValue()));
      }
    } else {
      check(path, value);
    }
  }

  private static void checkNumber(Path path, Number number) {
    if (number instanceof Double || number instanceof Float) {
      if (!Double.isFinite(number.doubleValue())) {
        throw refused(path, "the number " + number + ", outside the range of a double (Kora keeps"
            + " only finite numbers)");
      }
    } else if (number instanceof BigDecimal decimal && !Double.isFinite(decimal.doubleValue())) {
      throw refused(path, "the number " + decimal + ", outside the range of a double");
    }
  }

  /**
   * @param text a string
   * @return whether it holds a UTF-16 surrogate that is not part of a high-low pair
   */
  public static boolean hasLoneSurrogate(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  private static KoraException refused(Path path, String what) {
    return new KoraException(ErrorCode.INVALID_MUTATION, "value at '" + path + "' is " + what);
  }
}
