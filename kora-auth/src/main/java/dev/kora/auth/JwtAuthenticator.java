package dev.kora.auth;

import dev.kora.interceptors.Authenticator;
import dev.kora.interceptors.Identity;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Verifies JSON Web Tokens with {@code vertx-auth-jwt}: the signature against the configured keys
 * (an HMAC secret, PEM public keys, the keys of a JWKS URL), then {@code exp}, {@code nbf}, and the
 * issuer and audience when {@link JwtOptions} requires them. Unsigned tokens ({@code alg: none},
 * RFC 7519 section 6) are refused whatever the keys. The {@link Identity} is the token's {@code sub}
 * as the user, all of its claims, and its {@code exp} (plus the leeway) as the end of its rights.
 *
 * <p>A JWKS key set is fetched when the authenticator is made, again every
 * {@link JwtOptions#getJwksRefreshMs()}, and at once (at most every
 * {@link JwtOptions#getJwksMinRefetchMs()}) when a token does not verify with the keys held, which is
 * how a rotated signing key is picked up. A key set that cannot be fetched keeps the keys held and is
 * logged; a node started while its key server is down refuses tokens signed with those keys until a
 * fetch succeeds. Thread-safe.
 */
public final class JwtAuthenticator implements Authenticator {

  private static final System.Logger LOG = System.getLogger(JwtAuthenticator.class.getName());
  /** ms a key set fetch may take to connect, and then to answer. */
  private static final long FETCH_TIMEOUT_MS = 5_000;
  /** ms after which an attempt that got no answer at all is given up. */
  private static final long GUARD_MS = FETCH_TIMEOUT_MS + 1_000;

  private final Vertx vertx;
  private final JwtOptions options;
  /** Held: Vert.x closes an HTTP client that becomes unreachable. Replaced after a lost request. */
  private volatile HttpClient http;
  private final long refreshTimer;
  /** Verifies with every held key; checks {@code exp}. */
  private volatile JWTAuth strict;
  /** The same keys, {@code exp} not checked: tells an expired token from a forged one. */
  private volatile JWTAuth ignoringExpiry;
  private long lastFetchMs = Long.MIN_VALUE / 2;
  private Future<Void> fetching;

  private JwtAuthenticator(Vertx vertx, JwtOptions options) {
    this.vertx = vertx;
    this.options = options;
    // A connection per fetch: fetches are minutes apart (see attempt() for what else is guarded)
    this.http = options.getJwksUrl() == null ? null : vertx.createHttpClient(clientOptions());
    install(List.of());
    this.refreshTimer = http == null ? -1
        : vertx.setPeriodic(options.getJwksRefreshMs(), id -> fetch());
  }

  /**
   * Makes an authenticator and, with a JWKS URL, fetches its key set once.
   *
   * @param vertx the Vert.x instance (timers, the key set's HTTP client)
   * @param options the keys and the claims required
   * @return the authenticator, once the first fetch has succeeded or failed (a failure is logged,
   *     not fatal); fails with {@link IllegalArgumentException} when the options hold no key or a key
   *     that cannot be read
   */
  public static Future<JwtAuthenticator> create(Vertx vertx, JwtOptions options) {
    JwtAuthenticator authenticator;
    try {
      options.check();
      authenticator = new JwtAuthenticator(vertx, options);
    } catch (RuntimeException e) {
      return Future.failedFuture(e instanceof IllegalArgumentException ? e
          : new IllegalArgumentException("auth options: " + e.getMessage(), e));
    }
    if (authenticator.http == null) {
      return Future.succeededFuture(authenticator);
    }
    return authenticator.fetch().transform(done -> Future.succeededFuture(authenticator));
  }

  @Override
  public Future<Identity> authenticate(String token) {
    KoraException malformed = checkShape(token);
    if (malformed != null) {
      return Future.failedFuture(malformed);
    }
    return verify(token).recover(failure -> {
      if (http == null || !fetchAllowed()) {
        return Future.failedFuture(failure);
      }
      // maybe a key the held set does not have yet (rotation): fetch once, try again
      return fetch().transform(fetched -> verify(token));
    });
  }

  /** Stops the key set's refresh and closes its HTTP client. */
  public void close() {
    if (refreshTimer >= 0) {
      vertx.cancelTimer(refreshTimer);
    }
    if (http != null) {
      http.close();
    }
  }

  private Future<Identity> verify(String token) {
    JWTAuth auth = strict;
    return auth.authenticate(new TokenCredentials(token)).map(this::identity).recover(failure ->
        ignoringExpiry.authenticate(new TokenCredentials(token)).transform(lenient -> {
          // Vert.x's lenient check skips nbf too: only a signed token past its exp is expired
          Long exp = lenient.succeeded() ? expiry(claimsOf(lenient.result())) : null;
          boolean expired = exp != null
              && (exp + options.getLeewaySeconds()) * 1_000 <= System.currentTimeMillis();
          return Future.failedFuture(expired
              ? new KoraException(ErrorCode.TOKEN_EXPIRED, "the token expired at "
                  + java.time.Instant.ofEpochSecond(exp) + "; get a fresh one")
              : new KoraException(ErrorCode.UNAUTHENTICATED, "the token does not verify: "
                  + failure.getMessage()));
        }));
  }

  private static Long expiry(JsonObject claims) {
    return claims.getValue("exp") instanceof Number number ? number.longValue() : null;
  }

  private Identity identity(User user) {
    JsonObject claims = claimsOf(user);
    Object subject = claims.getValue("sub");
    Long exp = expiry(claims);
    long expiresAtMs = exp == null ? 0 : Math.max(1, (exp + options.getLeewaySeconds()) * 1_000);
    return new Identity(subject instanceof String text ? text : null, claims, expiresAtMs);
  }

  /** The token's payload, which vertx-auth-jwt keeps as the user's {@code accessToken} attribute. */
  private static JsonObject claimsOf(User user) {
    JsonObject payload = user.attributes().getJsonObject("accessToken");
    return payload == null ? user.principal().copy() : payload.copy();
  }

  /**
   * Refuses what is not three base64url parts with a JSON header, and unsigned tokens, before any
   * key is tried.
   */
  private static KoraException checkShape(String token) {
    String[] parts = token.split("\\.", -1);
    if (parts.length != 3 || parts[2].isEmpty()) {
      return new KoraException(ErrorCode.UNAUTHENTICATED, "not a signed JSON Web Token (three"
          + " base64url parts separated by dots)");
    }
    JsonObject header;
    try {
      header = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[0]),
          StandardCharsets.UTF_8));
    } catch (IllegalArgumentException | DecodeException | ClassCastException e) {
      return new KoraException(ErrorCode.UNAUTHENTICATED, "the token's header is not base64url"
          + " JSON");
    }
    Object algorithm = header.getValue("alg");
    if (!(algorithm instanceof String name) || name.equalsIgnoreCase("none")) {
      return new KoraException(ErrorCode.UNAUTHENTICATED, "unsigned tokens (alg none) are refused");
    }
    return null;
  }

  private synchronized boolean fetchAllowed() {
    return System.currentTimeMillis() - lastFetchMs >= options.getJwksMinRefetchMs();
  }

  /** Fetches the key set, one fetch at a time; completes (never fails) when it is done. */
  private synchronized Future<Void> fetch() {
    if (fetching != null) {
      return fetching;
    }
    lastFetchMs = System.currentTimeMillis();
    Promise<Void> done = Promise.promise();
    fetching = done.future();
    attempt(done, true);
    return done.future();
  }

  /**
   * One request for the key set. A guard besides the request's own timeouts ends an attempt that
   * got no answer at all (seen, rarely, in tests: a request that never left the client's pool); the
   * first such attempt is tried once more on a new HTTP client, so a fetch ends within about
   * 2 x {@value #GUARD_MS} ms whatever happens.
   */
  private void attempt(Promise<Void> done, boolean again) {
    HttpClient client = http;
    Promise<JsonArray> answer = Promise.promise();
    long guard = vertx.setTimer(GUARD_MS, id -> answer.tryFail("no answer within " + GUARD_MS
        + " ms"));
    client.request(new RequestOptions().setAbsoluteURI(options.getJwksUrl())
            .setMethod(HttpMethod.GET).putHeader("Accept", "application/json")
            .setIdleTimeout(FETCH_TIMEOUT_MS))
        .compose(request -> request.send())
        .compose(response -> response.statusCode() == 200 ? response.body()
            : Future.failedFuture("status " + response.statusCode()))
        .map(body -> body.toJsonObject().getJsonArray("keys"))
        .onComplete(result -> {
          if (result.succeeded()) {
            answer.tryComplete(result.result());
          } else {
            answer.tryFail(result.cause());
          }
        });
    answer.future().onComplete(fetched -> {
      vertx.cancelTimer(guard);
      if (fetched.failed() && again && fetched.cause().getMessage().startsWith("no answer")) {
        LOG.log(System.Logger.Level.WARNING, "no answer from " + options.getJwksUrl() + " within "
            + GUARD_MS + " ms; trying once more on a new connection");
        synchronized (this) {
          http = vertx.createHttpClient(clientOptions());
        }
        client.close();
        attempt(done, false);
        return;
      }
      fetched(done, fetched);
    });
  }

  private static HttpClientOptions clientOptions() {
    return new HttpClientOptions().setConnectTimeout((int) FETCH_TIMEOUT_MS).setKeepAlive(false);
  }

  /** Installs a fetched key set, or logs why there is none; then ends the fetch. */
  private void fetched(Promise<Void> done, io.vertx.core.AsyncResult<JsonArray> fetched) {
    try {
      if (fetched.succeeded() && fetched.result() != null) {
        install(usableKeys(fetched.result()));
      } else {
        LOG.log(System.Logger.Level.WARNING, "could not fetch the key set at "
            + options.getJwksUrl() + ": " + (fetched.succeeded() ? "no 'keys' array"
            : fetched.cause().getMessage()) + "; keeping the keys held");
      }
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "could not use the key set at " + options.getJwksUrl()
          + "; keeping the keys held", e);
    } finally {
      synchronized (this) {
        if (fetching == done.future()) {
          fetching = null;
        }
      }
      done.tryComplete();
    }
  }

  /** Keys of a JWKS that sign (not {@code "use": "enc"}), each with an algorithm. */
  private static List<JsonObject> usableKeys(JsonArray keys) {
    List<JsonObject> usable = new ArrayList<>();
    for (Object entry : keys) {
      if (!(entry instanceof JsonObject key) || "enc".equals(key.getString("use"))) {
        continue;
      }
      JsonObject copy = key.copy();
      if (copy.getString("alg") == null) {
        String algorithm = defaultAlgorithm(copy);
        if (algorithm == null) {
          continue;
        }
        copy.put("alg", algorithm);
      }
      usable.add(copy);
    }
    return usable;
  }

  /** The algorithm of a JWK without {@code alg}, from its key type (RFC 7518, section 6). */
  private static String defaultAlgorithm(JsonObject key) {
    String type = key.getString("kty", "");
    switch (type) {
      case "RSA":
        return "RS256";
      case "EC":
        return switch (key.getString("crv", "")) {
          case "P-256" -> "ES256";
          case "P-384" -> "ES384";
          case "P-521" -> "ES512";
          default -> null;
        };
      default:
        return null;
    }
  }

  /** Replaces the verifiers with ones holding the configured keys and {@code jwks}. */
  private void install(List<JsonObject> jwks) {
    List<JsonObject> accepted = new ArrayList<>();
    for (JsonObject key : jwks) {
      try {
        JWTAuth.create(vertx, new JWTAuthOptions().addJwk(key));
        accepted.add(key);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "skipping key " + key.getString("kid", "(no kid)")
            + " of " + options.getJwksUrl() + ": " + e.getMessage());
      }
    }
    strict = JWTAuth.create(vertx, authOptions(accepted, false));
    ignoringExpiry = JWTAuth.create(vertx, authOptions(accepted, true));
  }

  private JWTAuthOptions authOptions(List<JsonObject> jwks, boolean ignoreExpiration) {
    JWTOptions checks = new JWTOptions().setLeeway(options.getLeewaySeconds())
        .setIgnoreExpiration(ignoreExpiration).setIssuer(options.getIssuer());
    options.getAudience().forEach(checks::addAudience);
    JWTAuthOptions auth = new JWTAuthOptions().setJWTOptions(checks);
    if (options.getHmacSecret() != null) {
      auth.addPubSecKey(new PubSecKeyOptions().setAlgorithm(options.getHmacAlgorithm())
          .setBuffer(options.getHmacSecret()));
    }
    options.getPublicKeys().forEach(key -> auth.addPubSecKey(new PubSecKeyOptions()
        .setAlgorithm(key.algorithm()).setBuffer(key.pem())));
    jwks.forEach(auth::addJwk);
    return auth;
  }
}
