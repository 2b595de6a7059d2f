package dev.kora.node.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.client.connection.KoraConnection;
import dev.kora.node.KoraNode;
import dev.kora.node.TestNodes;
import dev.kora.testkit.TestCredentials;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS with a certificate this test makes: the node serves {@code wss://} and {@code https://} on
 * one port, a client that trusts the certificate speaks the protocol and REST through it, and a
 * plain {@code ws://} client gets no answer.
 */
class TlsTest {

  @TempDir
  Path directory;

  private Vertx vertx;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  @Test
  void theNodeServesWssAndHttpsOnOnePort() throws Exception {
    List<Path> files = TestCredentials.selfSignedCertificate(directory);
    KoraNode node = TestNodes.start(vertx, TestNodes.memoryOptions()
        .setTls(files.get(0).toString(), files.get(1).toString())).await();
    PemTrustOptions trust = new PemTrustOptions().addCertPath(files.get(0).toString());

    KoraConnection secure = KoraConnection.connect(vertx,
        KoraConnection.target("wss://localhost:" + node.actualPort() + "/socket"),
        KoraConnection.defaultClientOptions().setTrustOptions(trust)).await();
    secure.call("kora.mutation", new JsonObject().put("merge", new JsonObject().put("a", "tls")))
        .await();
    assertEquals("tls", ((JsonObject) secure.call("kora.query", new JsonObject()
        .put("a", new JsonObject())).await()).getJsonObject("merge").getString("a"));

    HttpClient https = vertx.createHttpClient(new HttpClientOptions().setSsl(true)
        .setTrustOptions(trust));
    String body = https.request(new RequestOptions().setHost("localhost")
            .setPort(node.actualPort()).setURI("/tree/a"))
        .compose(request -> request.send()).compose(response -> response.body())
        .map(Object::toString).await();
    assertEquals("\"tls\"", body);

    Throwable plain = assertThrows(CompletionException.class, () -> KoraConnection.connect(vertx,
            "ws://localhost:" + node.actualPort() + "/socket").toCompletionStage()
        .toCompletableFuture().orTimeout(20, TimeUnit.SECONDS).join());
    assertTrue(plain.getCause() != null, "a plain client is not served: " + plain);
    https.close().await();
  }

  @Test
  void aClientThatDoesNotTrustTheCertificateIsRefused() throws Exception {
    List<Path> files = TestCredentials.selfSignedCertificate(directory);
    KoraNode node = TestNodes.start(vertx, TestNodes.memoryOptions()
        .setTls(files.get(0).toString(), files.get(1).toString())).await();
    assertThrows(CompletionException.class, () -> KoraConnection.connect(vertx,
            "wss://localhost:" + node.actualPort() + "/socket").toCompletionStage()
        .toCompletableFuture().orTimeout(20, TimeUnit.SECONDS).join());
  }

  @Test
  void tlsNeedsBothFilesAndReadableOnes() {
    assertThrows(IllegalArgumentException.class,
        () -> TestNodes.memoryOptions().setTls("cert.pem", null));
    assertThrows(CompletionException.class, () -> TestNodes.start(vertx, TestNodes.memoryOptions()
            .setTls(directory.resolve("missing-cert.pem").toString(),
                directory.resolve("missing-key.pem").toString()))
        .toCompletionStage().toCompletableFuture().orTimeout(20, TimeUnit.SECONDS).join());
  }
}
