package dev.kora.storage.spi;

import dev.kora.storage.StoreOptions;
import dev.kora.storage.Stores;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The options of a store URL, the {@code ?NAME=VALUE&...} after its first {@code ?}, and the errors
 * of every driver's URL parser: names are taken literally, values percent-decoded (a {@code +} stays
 * a plus), an unknown name or a bad value fails with {@code invalid_message} and a message that never
 * holds the password. Stateless.
 */
public final class UrlOptions {

  private UrlOptions() {
  }

  /**
   * @param url a store URL
   * @return the URL without its options: everything before the first {@code ?}
   */
  public static String withoutOptions(String url) {
    int mark = url.indexOf('?');
    return mark < 0 ? url : url.substring(0, mark);
  }

  /**
   * @param url a store URL
   * @param names the names the driver accepts, in the order a message lists them
   * @return the URL's options, decoded, in the order given; empty when it has none
   * @throws KoraException {@code invalid_message} for a name not in {@code names} or a bad
   *     percent-encoding
   */
  public static Map<String, String> parse(String url, Collection<String> names) {
    int mark = url.indexOf('?');
    if (mark < 0 || mark == url.length() - 1) {
      return Map.of();
    }
    Map<String, String> options = new LinkedHashMap<>();
    for (String pair : url.substring(mark + 1).split("&")) {
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      if (!names.contains(name)) {
        throw invalid(url, "unknown option '" + name + "'; the options are "
            + String.join(", ", names));
      }
      options.put(name, eq < 0 ? "" : decode(url, pair.substring(eq + 1)));
    }
    return Collections.unmodifiableMap(options);
  }

  /**
   * @param url the store URL, for the message
   * @param value the value of its {@code table} option
   * @return the table name, checked like {@link StoreOptions#setTable}
   * @throws KoraException {@code invalid_message} for a name that is not a valid table name
   */
  public static String table(String url, String value) {
    try {
      return new StoreOptions().setTable(value).getTable();
    } catch (IllegalArgumentException e) {
      throw badValue(url, "table", e);
    }
  }

  /**
   * @param url the store URL, for the message
   * @param text a percent-encoded part of it
   * @return the text decoded as UTF-8; a {@code +} stays a plus
   * @throws KoraException {@code invalid_message} for a bad percent-encoding
   */
  public static String decode(String url, String text) {
    try {
      return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw invalid(url, "bad percent-encoding");
    }
  }

  /**
   * @param url the store URL
   * @param name the option
   * @param error why its value was refused, e.g. by a {@link StoreOptions} setter
   * @return the {@code invalid_message} error to throw
   */
  public static KoraException badValue(String url, String name, IllegalArgumentException error) {
    return invalid(url, "bad value for " + name + ": " + error.getMessage());
  }

  /**
   * @param url the store URL; shown with its password replaced by {@code ***}
   * @param why what is wrong with it
   * @return the {@code invalid_message} error to throw
   */
  public static KoraException invalid(String url, String why) {
    return new KoraException(ErrorCode.INVALID_MESSAGE, "bad store URL '" + Stores.redact(url)
        + "': " + why);
  }
}
