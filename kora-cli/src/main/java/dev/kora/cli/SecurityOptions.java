package dev.kora.cli;

import dev.kora.auth.JwtOptions;
import dev.kora.node.KoraNodeOptions;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The security options of {@code kora serve}: how clients authenticate (JSON Web Tokens), whether
 * anonymous clients are served, whether an open node may listen beyond loopback, the rules file,
 * TLS, and the clients' rate limits. They add
 * to the {@code auth}, {@code allowAnonymous}, {@code insecure}, {@code rules} and {@code tlsCertPath}/
 * {@code tlsKeyPath} fields of {@code --config}; docs/security.md explains each.
 */
final class SecurityOptions {

  @Option(names = "--jwt-secret-file", paramLabel = "FILE",
      description = "File holding the HMAC secret of HS256 tokens (32 bytes or more).")
  File secretFile;

  @Option(names = "--jwt-public-key", paramLabel = "FILE",
      description = "PEM public key that signs tokens; repeatable.")
  List<File> publicKeys;

  @Option(names = "--jwt-algorithm", defaultValue = "RS256", paramLabel = "ALG",
      description = "JWS algorithm of the --jwt-public-key keys (default: ${DEFAULT-VALUE}).")
  String algorithm;

  @Option(names = "--jwks-url", paramLabel = "URL",
      description = "JWKS endpoint of the identity provider; fetched, cached and rotated.")
  String jwksUrl;

  @Option(names = "--jwt-issuer", paramLabel = "ISS",
      description = "Required 'iss' claim.")
  String issuer;

  @Option(names = "--jwt-audience", paramLabel = "AUD",
      description = "Accepted 'aud' claim; repeatable.")
  List<String> audiences;

  @Option(names = "--allow-anonymous",
      description = "With auth, serve clients without a token too (their session has no identity).")
  boolean allowAnonymous;

  @Option(names = "--insecure",
      description = "Allow listening beyond loopback without authentication.")
  boolean insecure;

  @Option(names = "--rules", paramLabel = "FILE",
      description = "A rules file: read, write and validate expressions (CEL) over path patterns,"
          + " reloaded when it changes (docs/security.md). Check it with ./kora rules test.")
  String rules;

  @Option(names = "--tls-cert", paramLabel = "FILE",
      description = "PEM certificate chain: serve wss:// and https:// (with --tls-key).")
  String tlsCert;

  @Option(names = "--tls-key", paramLabel = "FILE", description = "PEM private key of --tls-cert.")
  String tlsKey;

  @Option(names = "--rate-limits", paramLabel = "M,B,MA,BA", split = ",",
      description = "Rate limits: mutations/s and bytes/s per connection, then per client address"
          + " (0: none), e.g. 200,1048576,2000,10485760.")
  List<Double> rateLimits;

  /**
   * Adds the command line's security options to options read from {@code --config}.
   *
   * @param options the node's options
   * @throws KoraException {@code invalid_message} when a key file cannot be read or TLS has one
   *     file only
   */
  void applyTo(KoraNodeOptions options) {
    boolean jwtGiven = secretFile != null || publicKeys != null || jwksUrl != null;
    if (jwtGiven || issuer != null || audiences != null) {
      JwtOptions auth = options.getAuth() == null ? new JwtOptions() : options.getAuth();
      if (secretFile != null) {
        auth.setHmacSecret(read(secretFile).strip());
      }
      if (publicKeys != null) {
        publicKeys.forEach(file -> auth.addPublicKey(new JwtOptions.PemKey(algorithm,
            read(file))));
      }
      if (jwksUrl != null) {
        auth.setJwksUrl(jwksUrl);
      }
      if (issuer != null) {
        auth.setIssuer(issuer);
      }
      if (audiences != null) {
        audiences.forEach(auth::addAudience);
      }
      options.setAuth(auth);
    }
    if (allowAnonymous) {
      options.setAllowAnonymous(true);
    }
    if (insecure) {
      options.setInsecure(true);
    }
    if (rules != null) {
      options.setRules(rules);
    }
    if (rateLimits != null) {
      if (rateLimits.size() != 4 || rateLimits.stream().anyMatch(rate -> rate < 0)) {
        throw new KoraException(ErrorCode.INVALID_MESSAGE, "--rate-limits takes four numbers of"
            + " at least 0: mutations/s and bytes/s per connection, then per address");
      }
      options.setRateLimits(rateLimits.get(0), rateLimits.get(1), rateLimits.get(2),
          rateLimits.get(3));
    }
    if (tlsCert != null || tlsKey != null) {
      if (tlsCert == null || tlsKey == null) {
        throw new KoraException(ErrorCode.INVALID_MESSAGE,
            "TLS needs both --tls-cert and --tls-key");
      }
      options.setTls(tlsCert, tlsKey);
    }
  }

  private static String read(File file) {
    try {
      return Files.readString(file.toPath());
    } catch (IOException e) {
      throw new KoraException(ErrorCode.INVALID_MESSAGE, "cannot read " + file + ": " + e);
    }
  }
}
