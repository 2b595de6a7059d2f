package dev.kora.node.impl.http;

import dev.kora.node.core.AdminAccess;
import dev.kora.node.core.Authentication;
import dev.kora.node.core.NodeCore;
import dev.kora.protocol.Errors;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;

/**
 * The routes of whoever runs a node: {@code GET /health} (the node process answers: 200
 * {@code {"status": "UP"}}), {@code GET /ready} (it can serve: its store answers a small read within
 * 2 s; 503 with {@code "status": "DOWN"} and the reason otherwise), both with vertx-health-check and
 * open to all, as orchestrators' probes are; and {@code GET /metrics}, the node's metrics in the
 * Prometheus text format. On a node with authentication {@code /metrics} needs a token whose claims
 * say {@code "kora_admin": true} (401 without a token, 403 without the claim; {@link AdminAccess}).
 */
final class OperationsRoutes {

  private final NodeCore node;
  private final AdminAccess admins;
  private final HealthChecks liveness;
  private final HealthChecks readiness;

  /**
   * @param vertx the Vert.x instance
   * @param node the node
   * @param admins who may read the metrics on a node with authentication
   */
  OperationsRoutes(Vertx vertx, NodeCore node, AdminAccess admins) {
    this.node = node;
    this.admins = admins;
    // answering at all is the check: the event loop that serves the node is not stuck
    this.liveness = HealthChecks.create(vertx).register("node",
        promise -> promise.complete(Status.OK()));
    this.readiness = HealthChecks.create(vertx).register("store", 3_000, promise ->
        node.ready().onComplete(done -> promise.complete(done.succeeded() ? Status.OK()
            : Status.KO(new JsonObject().put("error", done.cause().getMessage())))));
  }

  /** @param router where to add the routes */
  void mount(Router router) {
    router.get("/health").handler(HealthCheckHandler.createWithHealthChecks(liveness));
    router.get("/ready").handler(HealthCheckHandler.createWithHealthChecks(readiness));
    router.get("/metrics").handler(this::metrics);
  }

  private void metrics(RoutingContext context) {
    Authentication authentication = node.authentication();
    if (!authentication.enabled()) {
      scrape(context);
      return;
    }
    String token = Authentication.token(context.request().getHeader("Authorization"), null);
    admins.authorize(token, "/metrics").onComplete(done -> {
      if (done.failed()) {
        refuse(context, Errors.asKora(done.cause()));
      } else {
        scrape(context);
      }
    });
  }

  private void scrape(RoutingContext context) {
    String text = node.metrics().scrape();
    if (text == null) {
      refuse(context, new KoraException(ErrorCode.NOT_FOUND, "the node's metrics registry is not"
          + " a Prometheus one"));
      return;
    }
    context.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .end(text);
  }

  private static void refuse(RoutingContext context, KoraException refusal) {
    HttpFront.refuse(context.request(), refusal);
  }
}
