package dev.kora.node.impl.console;

import dev.kora.node.core.AdminAccess;
import dev.kora.node.core.Cancellation;
import dev.kora.node.core.NodeCore;
import dev.kora.node.impl.rest.RestApi;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Path;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.regex.Pattern;

/**
 * The browser console at {@code /console} (docs/operations.md, "Console"): its page, script and
 * style (resources under {@code kora-console/}, holding no data), and its API under
 * {@code /console/api/}, every request of which needs an administrator's credential
 * ({@link ConsoleGate}):
 *
 * <ul>
 *   <li>{@code GET /console/api/whoami}: who the credential says the administrator is;
 *   <li>{@code GET /console/api/children/<path>?min=&max=&limit=}: one page of a path's children,
 *       their subtrees not read ({@link NodeCore#children});
 *   <li>{@code /console/api/tree/<path>}: the REST routes of {@code /tree} (read with
 *       {@code min}/{@code max}/{@code limit}, {@code PATCH}, {@code PUT}, {@code DELETE});
 *   <li>{@code GET /console/api/events} and {@code POST /console/api/watch}: one event stream per
 *       console page, and the paths it watches ({@link ConsoleStreams});
 *   <li>{@code GET /console/api/metrics}: the node's figures at a glance
 *       ({@link dev.kora.node.core.NodeMetrics#glance}).
 * </ul>
 */
public final class ConsoleRoutes {

  /** Where the console is served. */
  public static final String PATH = "/console";
  private static final String API = PATH + "/api";
  /** The most children one page lists. */
  static final int MAX_PAGE = 1_000;
  /** The page's policy: its own script and style only, no frames, no other origin. */
  private static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self';"
      + " style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none';"
      + " form-action 'none'; frame-ancestors 'none'";

  private final NodeCore node;
  private final RestApi tree;
  private final ConsoleGate gate;
  private final ConsoleStreams streams;
  private final int maxBodyBytes;

  /**
   * @param node the node
   * @param admins who is an administrator
   * @param rest the node's REST routes, served again under {@code /console/api/tree}
   * @param maxBodyBytes the largest request body accepted
   */
  public ConsoleRoutes(NodeCore node, AdminAccess admins, RestApi rest, int maxBodyBytes) {
    this.node = node;
    this.gate = new ConsoleGate(admins);
    this.tree = rest.at(API + "/tree", gate);
    this.streams = new ConsoleStreams(node, rest.events());
    this.maxBodyBytes = maxBodyBytes;
  }

  /** @param router where to add the routes; before the handlers that answer unknown paths */
  public void mount(Router router) {
    router.route(PATH + "*").handler(context -> {
      context.response().putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
          .putHeader("X-Content-Type-Options", "nosniff")
          .putHeader("Referrer-Policy", "no-referrer")
          .putHeader("Cache-Control", "no-store");
      context.next();
    });
    router.get(PATH).handler(context -> {
      // vertx-web matches /console/ here too: only the bare path is sent on to the page
      if (context.normalizedPath().equals(PATH)) {
        context.redirect(PATH + "/");
      } else {
        context.next();
      }
    });
    tree.mountTree(router);
    router.route(API + "/*").handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));
    router.route(API + "/*").handler(gate::admit);
    router.get(API + "/whoami").handler(this::whoami);
    router.get(API + "/metrics").handler(context -> json(context,
        Future.succeededFuture(node.metrics().glance())));
    router.getWithRegex(Pattern.quote(API + "/children") + "(/.*)?")
        .handler(this::children);
    router.get(API + "/events").handler(streams::open);
    router.route(HttpMethod.POST, API + "/watch").handler(streams::watch);
    router.get(PATH + "/*").handler(StaticHandler.create("kora-console")
        .setCachingEnabled(false).setDirectoryListing(false).setIndexPage("index.html"));
  }

  private void whoami(RoutingContext context) {
    String user = RestApi.session(context).user();
    json(context, Future.succeededFuture(new JsonObject()
        .put("user", user == null ? "console" : user)
        .put("authentication", node.authentication().enabled())));
  }

  private void children(RoutingContext context) {
    Path path = Path.parse(context.normalizedPath().substring((API + "/children").length()));
    String limit = context.request().getParam("limit", "50");
    if (!limit.matches("[0-9]{1,9}") || Integer.parseInt(limit) < 1
        || Integer.parseInt(limit) > MAX_PAGE) {
      throw new KoraException(ErrorCode.INVALID_QUERY, "limit must be a whole number from 1 to "
          + MAX_PAGE + ", got " + limit);
    }
    QueryOptions options = new QueryOptions(emptyToNull(context.request().getParam("min")),
        emptyToNull(context.request().getParam("max")), Integer.parseInt(limit), false);
    Cancellation cancellation = new Cancellation();
    context.response().closeHandler(v -> cancellation.cancel());
    json(context, node.children(path, options, RestApi.session(context), cancellation));
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }

  /** Answers a JSON value, or the failure in Kora's format. */
  static void json(RoutingContext context, Future<?> answer) {
    answer.onSuccess(value -> context.response().putHeader("Content-Type", "application/json")
        .end(Json.encodeToBuffer(value))).onFailure(context::fail);
  }
}
