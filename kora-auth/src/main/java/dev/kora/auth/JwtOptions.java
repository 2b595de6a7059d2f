package dev.kora.auth;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How a node verifies JSON Web Tokens (RFC 7519): where the keys come from and which claims must
 * hold. At least one key source is needed: an HMAC secret, PEM public keys, or a JWKS URL (RFC 7517
 * key sets, as identity providers publish them). As JSON, the {@code auth} object of a node's
 * configuration:
 *
 * <pre>{@code
 * {"hmacSecret": "...", "hmacAlgorithm": "HS256",
 *  "publicKeys": [{"algorithm": "RS256", "pem": "-----BEGIN PUBLIC KEY-----\n..."}],
 *  "jwksUrl": "https://id.example.com/.well-known/jwks.json", "jwksRefreshMs": 600000,
 *  "jwksMinRefetchMs": 30000, "issuer": "https://id.example.com/", "audience": ["kora"],
 *  "leewaySeconds": 0}
 * }</pre>
 */
public final class JwtOptions {

  /** Default of {@link #setJwksRefreshMs}: 10 minutes. */
  public static final long DEFAULT_JWKS_REFRESH_MS = 600_000;
  /** Default of {@link #setJwksMinRefetchMs}: 30 s. */
  public static final long DEFAULT_JWKS_MIN_REFETCH_MS = 30_000;

  /**
   * A public key in PEM text.
   *
   * @param algorithm the JWS algorithm tokens signed with it use (RFC 7518), e.g. {@code RS256},
   *     {@code ES256}, {@code PS256}
   * @param pem the key, e.g. {@code -----BEGIN PUBLIC KEY-----\nMIIB...\n-----END PUBLIC KEY-----}
   */
  public record PemKey(String algorithm, String pem) {

    /** Checks that both are given. */
    public PemKey {
      Objects.requireNonNull(algorithm, "algorithm");
      Objects.requireNonNull(pem, "pem");
    }
  }

  private String hmacSecret;
  private String hmacAlgorithm = "HS256";
  private List<PemKey> publicKeys = new ArrayList<>();
  private String jwksUrl;
  private long jwksRefreshMs = DEFAULT_JWKS_REFRESH_MS;
  private long jwksMinRefetchMs = DEFAULT_JWKS_MIN_REFETCH_MS;
  private String issuer;
  private List<String> audience = new ArrayList<>();
  private int leewaySeconds;

  /** Options without keys: set at least one source before use. */
  public JwtOptions() {
  }

  /**
   * @param json the {@code auth} object of a configuration, shaped as in the class comment
   * @throws IllegalArgumentException when a field has the wrong type or value
   */
  public JwtOptions(JsonObject json) {
    try {
      hmacSecret = json.getString("hmacSecret");
      hmacAlgorithm = json.getString("hmacAlgorithm", hmacAlgorithm);
      JsonArray keys = json.getJsonArray("publicKeys", new JsonArray());
      for (int i = 0; i < keys.size(); i++) {
        JsonObject key = keys.getJsonObject(i);
        publicKeys.add(new PemKey(key.getString("algorithm", "RS256"), key.getString("pem")));
      }
      jwksUrl = json.getString("jwksUrl");
      setJwksRefreshMs(json.getLong("jwksRefreshMs", jwksRefreshMs));
      setJwksMinRefetchMs(json.getLong("jwksMinRefetchMs", jwksMinRefetchMs));
      issuer = json.getString("issuer");
      JsonArray audiences = json.getJsonArray("audience", new JsonArray());
      for (int i = 0; i < audiences.size(); i++) {
        audience.add(audiences.getString(i));
      }
      setLeewaySeconds(json.getInteger("leewaySeconds", 0));
    } catch (ClassCastException | NullPointerException e) {
      throw new IllegalArgumentException("auth options: " + e.getMessage(), e);
    }
  }

  /** @return the options as JSON, shaped as in the class comment (the secret included) */
  public JsonObject toJson() {
    JsonArray keys = new JsonArray();
    publicKeys.forEach(key -> keys.add(new JsonObject().put("algorithm", key.algorithm())
        .put("pem", key.pem())));
    return new JsonObject().put("hmacSecret", hmacSecret).put("hmacAlgorithm", hmacAlgorithm)
        .put("publicKeys", keys).put("jwksUrl", jwksUrl).put("jwksRefreshMs", jwksRefreshMs)
        .put("jwksMinRefetchMs", jwksMinRefetchMs).put("issuer", issuer)
        .put("audience", new JsonArray(new ArrayList<>(audience)))
        .put("leewaySeconds", leewaySeconds);
  }

  /**
   * @throws IllegalArgumentException when no key source is set
   */
  public void check() {
    if ((hmacSecret == null || hmacSecret.isEmpty()) && publicKeys.isEmpty() && jwksUrl == null) {
      throw new IllegalArgumentException("auth needs a key: an HMAC secret, a PEM public key or a"
          + " JWKS URL");
    }
    if (hmacSecret != null && hmacSecret.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
        < 32) {
      // RFC 7518, section 3.2: a key of the same size as the hash output or larger
      throw new IllegalArgumentException("the HMAC secret must be at least 32 bytes (RFC 7518,"
          + " section 3.2)");
    }
  }

  /** @return the HMAC secret, or null */
  public String getHmacSecret() {
    return hmacSecret;
  }

  /**
   * @param hmacSecret the shared secret of HMAC-signed tokens, at least 32 bytes (RFC 7518, section
   *     3.2); null for none
   * @return these options
   */
  public JwtOptions setHmacSecret(String hmacSecret) {
    this.hmacSecret = hmacSecret;
    return this;
  }

  /** @return the algorithm of HMAC-signed tokens, {@code HS256} by default */
  public String getHmacAlgorithm() {
    return hmacAlgorithm;
  }

  /**
   * @param hmacAlgorithm {@code HS256}, {@code HS384} or {@code HS512}
   * @return these options
   */
  public JwtOptions setHmacAlgorithm(String hmacAlgorithm) {
    this.hmacAlgorithm = Objects.requireNonNull(hmacAlgorithm, "hmacAlgorithm");
    return this;
  }

  /** @return the PEM public keys */
  public List<PemKey> getPublicKeys() {
    return publicKeys;
  }

  /**
   * @param key a public key tokens may be signed for
   * @return these options
   */
  public JwtOptions addPublicKey(PemKey key) {
    publicKeys.add(Objects.requireNonNull(key, "key"));
    return this;
  }

  /** @return the JWKS URL, or null */
  public String getJwksUrl() {
    return jwksUrl;
  }

  /**
   * @param jwksUrl where the key set is fetched, e.g.
   *     {@code https://id.example.com/.well-known/jwks.json}; null for none
   * @return these options
   */
  public JwtOptions setJwksUrl(String jwksUrl) {
    this.jwksUrl = jwksUrl;
    return this;
  }

  /** @return ms between fetches of the key set */
  public long getJwksRefreshMs() {
    return jwksRefreshMs;
  }

  /**
   * @param jwksRefreshMs ms between fetches of the key set, at least 1,000; default
   *     {@value #DEFAULT_JWKS_REFRESH_MS}
   * @return these options
   */
  public JwtOptions setJwksRefreshMs(long jwksRefreshMs) {
    if (jwksRefreshMs < 1_000) {
      throw new IllegalArgumentException("jwksRefreshMs must be at least 1000");
    }
    this.jwksRefreshMs = jwksRefreshMs;
    return this;
  }

  /** @return the fewest ms between two fetches caused by tokens the keys could not verify */
  public long getJwksMinRefetchMs() {
    return jwksMinRefetchMs;
  }

  /**
   * @param jwksMinRefetchMs the fewest ms between two fetches caused by tokens the cached keys could
   *     not verify (a rotated key), so that bad tokens cannot make the node hammer the key server;
   *     at least 0; default {@value #DEFAULT_JWKS_MIN_REFETCH_MS}
   * @return these options
   */
  public JwtOptions setJwksMinRefetchMs(long jwksMinRefetchMs) {
    if (jwksMinRefetchMs < 0) {
      throw new IllegalArgumentException("jwksMinRefetchMs must be at least 0");
    }
    this.jwksMinRefetchMs = jwksMinRefetchMs;
    return this;
  }

  /** @return the required {@code iss} claim, or null */
  public String getIssuer() {
    return issuer;
  }

  /**
   * @param issuer the {@code iss} every token must carry; null to accept any
   * @return these options
   */
  public JwtOptions setIssuer(String issuer) {
    this.issuer = issuer;
    return this;
  }

  /** @return the accepted audiences */
  public List<String> getAudience() {
    return audience;
  }

  /**
   * @param audience an {@code aud} value a token may carry; once any is set, a token must carry
   *     one of them
   * @return these options
   */
  public JwtOptions addAudience(String audience) {
    this.audience.add(Objects.requireNonNull(audience, "audience"));
    return this;
  }

  /** @return seconds of clock skew allowed on {@code exp}, {@code nbf} and {@code iat} */
  public int getLeewaySeconds() {
    return leewaySeconds;
  }

  /**
   * @param leewaySeconds seconds of clock skew allowed on {@code exp}, {@code nbf} and {@code iat},
   *     0 to 300; default 0
   * @return these options
   */
  public JwtOptions setLeewaySeconds(int leewaySeconds) {
    if (leewaySeconds < 0 || leewaySeconds > 300) {
      throw new IllegalArgumentException("leewaySeconds must be between 0 and 300");
    }
    this.leewaySeconds = leewaySeconds;
    return this;
  }

  @Override
  public String toString() {
    JsonObject json = toJson();
    if (hmacSecret != null) {
      json.put("hmacSecret", "***");
    }
    json.put("publicKeys", publicKeys.size() + " keys");
    return json.encode();
  }
}
