package dev.kora.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Credentials for tests, made here and never shipped: JSON Web Tokens signed with an HMAC secret or
 * an RSA key, RSA keys as PEM and as JWK (RFC 7517), and a self-signed TLS certificate as PEM files
 * (made with the JDK's {@code keytool}).
 */
public final class TestCredentials {

  /** An HMAC secret of the length RFC 7518 asks for HS256 (32 bytes or more). */
  public static final String SECRET = "kora-test-secret-of-at-least-32-bytes";

  private TestCredentials() {
  }

  /** @return seconds since the epoch, as {@code exp}, {@code nbf} and {@code iat} claims count */
  public static long nowSeconds() {
    return System.currentTimeMillis() / 1000;
  }

  /**
   * @param vertx a Vert.x instance
   * @param secret the HMAC secret
   * @param claims the payload, e.g. {@code {"sub": "alice", "exp": 1767225600}}; no {@code iat}
   *     is added
   * @return the token, signed HS256
   */
  public static String hmacToken(Vertx vertx, String secret, JsonObject claims) {
    return JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
        .setAlgorithm("HS256").setBuffer(secret)))
        .generateToken(claims, new JWTOptions().setNoTimestamp(true));
  }

  /**
   * @param vertx a Vert.x instance
   * @param keys the signing key pair
   * @param keyId the {@code kid} header
   * @param claims the payload
   * @return the token, signed RS256
   */
  public static String rsaToken(Vertx vertx, KeyPair keys, String keyId, JsonObject claims) {
    return JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
        .setAlgorithm("RS256").setId(keyId).setBuffer(pem("PRIVATE KEY",
            keys.getPrivate().getEncoded()))))
        .generateToken(claims, new JWTOptions().setAlgorithm("RS256").setNoTimestamp(true));
  }

  /** @return a new 2,048-bit RSA key pair */
  public static KeyPair rsaKeys() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * @param type e.g. {@code PUBLIC KEY}, {@code PRIVATE KEY}, {@code CERTIFICATE}
   * @param der the DER bytes
   * @return the PEM text, lines of 64 characters
   */
  public static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  /**
   * @param keys an RSA key pair
   * @param keyId its {@code kid}
   * @return the public key as a JWK, e.g. {@code {"kty": "RSA", "kid": "k1", "n": "...", "e":
   *     "AQAB"}}
   */
  public static JsonObject jwk(KeyPair keys, String keyId) {
    RSAPublicKey key = (RSAPublicKey) keys.getPublic();
    return new JsonObject().put("kty", "RSA").put("kid", keyId).put("use", "sig")
        .put("n", base64Url(key.getModulus())).put("e", base64Url(key.getPublicExponent()));
  }

  private static String base64Url(BigInteger number) {
    byte[] bytes = number.toByteArray();
    if (bytes.length > 1 && bytes[0] == 0) {
      bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /**
   * A self-signed certificate for {@code localhost} and {@code 127.0.0.1}, made with the JDK's
   * {@code keytool} and written as PEM.
   *
   * @param directory where to write {@code cert.pem} and {@code key.pem}
   * @return the two files: the certificate, then the PKCS#8 private key
   * @throws IOException when keytool fails or the files cannot be written
   */
  public static List<Path> selfSignedCertificate(Path directory) throws IOException {
    Path store = directory.resolve("tls.p12");
    String password = "changeit";
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Process process = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "kora",
        "-keyalg", "RSA", "-keysize", "2048", "-validity", "2", "-dname", "CN=localhost",
        "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-storetype", "PKCS12", "-keystore",
        store.toString(), "-storepass", password, "-keypass", password).redirectErrorStream(true)
        .start();
    try {
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IOException("keytool failed: " + output);
      }
      KeyStore keyStore = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(store)) {
        keyStore.load(in, password.toCharArray());
      }
      Path cert = directory.resolve("cert.pem");
      Path key = directory.resolve("key.pem");
      Files.writeString(cert, pem("CERTIFICATE", keyStore.getCertificate("kora").getEncoded()));
      Files.writeString(key, pem("PRIVATE KEY",
          keyStore.getKey("kora", password.toCharArray()).getEncoded()));
      return List.of(cert, key);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    } catch (GeneralSecurityException e) {
      throw new IOException(e);
    }
  }
}
