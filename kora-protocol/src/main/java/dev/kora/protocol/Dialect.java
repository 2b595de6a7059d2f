package dev.kora.protocol;

/**
 * The two names under which the built-in actions are spoken: {@code kora.*} and {@code riptide.*}
 * (the published {@code @ironbay/riptide@0.2.5} client). A connection's pushes use the dialect of its
 * latest subscribing call, so Riptide's client gets {@code riptide.mutation} casts byte for byte as it
 * expects.
 */
public enum Dialect {

  /** {@code kora.mutation}, {@code kora.query}, ... */
  KORA("kora."),
  /** {@code riptide.mutation}, {@code riptide.query}, ... */
  RIPTIDE("riptide.");

  private final String prefix;

  Dialect(String prefix) {
    this.prefix = prefix;
  }

  /** @return the name prefix with its dot, e.g. {@code kora.} */
  public String prefix() {
    return prefix;
  }

  /**
   * @param action an action name, e.g. {@code kora.query} or {@code todo.login}
   * @return the dialect whose reserved prefix it carries, or null for an application's action
   */
  public static Dialect of(String action) {
    if (action.startsWith(KORA.prefix)) {
      return KORA;
    }
    if (action.startsWith(RIPTIDE.prefix)) {
      return RIPTIDE;
    }
    return null;
  }

  /**
   * @param action an action name
   * @return whether it uses a prefix reserved for Kora ({@code kora.} or {@code riptide.}), which
   *     application handlers may not use
   */
  public static boolean isReserved(String action) {
    return of(action) != null;
  }
}
