package dev.kora.node.impl.console;

import dev.kora.interceptors.Session;
import dev.kora.node.core.AdminAccess;
import dev.kora.node.core.Authentication;
import dev.kora.node.impl.rest.RestApi;
import dev.kora.protocol.Errors;
import io.vertx.ext.web.RoutingContext;

/**
 * Admits a request of the console's API only with an administrator's credential in its
 * {@code Authorization: Bearer} header ({@link AdminAccess}), checked on every request; anything
 * else is answered 401 {@code unauthenticated} (no token, a wrong or expired one) or 403
 * {@code denied} (a valid token without the admin claim). An admitted request reads and writes as a
 * client session of the administrator (interceptors and rules see its identity, also on a node
 * without authentication; reserved paths stay closed). The token is not passed on in the session's
 * headers.
 */
final class ConsoleGate implements RestApi.Gate {

  private final AdminAccess admins;

  /** @param admins who is an administrator */
  ConsoleGate(AdminAccess admins) {
    this.admins = admins;
  }

  @Override
  public void admit(RoutingContext context) {
    String token = Authentication.token(context.request().getHeader("Authorization"), null);
    admins.authorize(token, "the console").onComplete(done -> {
      if (done.failed()) {
        RestApi.fail(context, Errors.asKora(done.cause()));
        return;
      }
      // Session.client keeps no Authorization header itself
      Session session = Session.client("console:" + context.request().remoteAddress(),
          context.request().headers());
      // the administrator's identity also on a node without authentication (the generated
      // token's user "console" with the admin claim), so that rules can grant administrators
      session.authenticate(done.result());
      RestApi.admitted(context, session);
    });
  }
}
