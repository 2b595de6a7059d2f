package dev.kora.rules;

import dev.kora.interceptors.Session;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;

/** Builds the variables one expression is evaluated with (see {@link RuleSet} for their meaning). */
final class Variables {

  private Variables() {
  }

  /**
   * @param session who reads or writes
   * @return {@code auth}: the session's claims with {@code sub} set to its user when the claims have
   *     none, or CEL's {@code null} for a session with neither a verified token nor a user
   */
  static Object auth(Session session) {
    if (!session.isAuthenticated() && session.user() == null) {
      return CelValues.NULL;
    }
    JsonObject claims = session.claims();
    if (session.user() != null && !claims.containsKey("sub")) {
      claims = claims.copy().put("sub", session.user());
    }
    return CelValues.of(claims);
  }

  /**
   * @param auth the {@link #auth} value
   * @param nowMs the time of the decision, ms since the epoch
   * @param match the rule and the captures of its pattern
   * @param path the matched path
   * @return the variables every kind of expression sees
   */
  static Map<String, Object> of(Object auth, long nowMs, RuleSet.Match match,
      dev.kora.tree.Path path) {
    Map<String, Object> variables = new HashMap<>(8);
    variables.put("auth", auth);
    variables.put("now", nowMs);
    variables.put("path", path.toString());
    variables.putAll(match.captures());
    return variables;
  }
}
