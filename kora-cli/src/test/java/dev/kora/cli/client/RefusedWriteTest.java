package dev.kora.cli.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.cli.durability.NodeProcess;
import dev.kora.client.KoraClient;
import dev.kora.client.KoraClientOptions;
import dev.kora.client.Subscription;
import dev.kora.client.SubscriptionChange;
import dev.kora.interceptors.KoraPlugin;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.QueryOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Writes the node refuses, through a node process with an interceptor plugin ({@link ReadOnlyPlugin}
 * under {@code --lib}): the write shows in the local view at once, is rolled back when the node
 * refuses it, the listener is told with the code, and the future fails with it; the writes queued
 * after it still apply, in order. A write under the reserved {@code kora:log} is refused the same way
 * ({@code denied}).
 */
class RefusedWriteTest {

  private Vertx vertx;
  private java.nio.file.Path folder;
  private NodeProcess node;
  private KoraClient client;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    folder = Files.createTempDirectory("kora-refused");
    java.nio.file.Path lib = Files.createDirectory(folder.resolve("lib"));
    // The plugin class is on the node's class path already; the jar only names it as a service.
    try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(lib.resolve("p.jar")))) {
      jar.putNextEntry(new JarEntry("META-INF/services/" + KoraPlugin.class.getName()));
      jar.write(ReadOnlyPlugin.class.getName().getBytes(StandardCharsets.UTF_8));
      jar.closeEntry();
    }
    node = NodeProcess.start("sqlite:" + folder.resolve("node.db"), NodeProcess.freePort(), 90,
        List.of("-Xmx256m"), List.of("--lib", lib.toString()));
    client = KoraClient.create(vertx, new KoraClientOptions()
        .setUrl("ws://127.0.0.1:" + node.port + "/socket")).await();
  }

  @AfterEach
  void tearDown() throws Exception {
    client.close().await();
    node.close();
    vertx.close().await();
  }

  @Test
  void aRefusedWriteIsRolledBackAndItsFutureFailsWithTheCode() {
    List<SubscriptionChange> changes = new ArrayList<>();
    Subscription guarded = client.subscribe(Path.of("guarded"), changes::add);
    Subscription open = client.subscribe(Path.of("open"), change -> { });
    guarded.synced().await();
    open.synced().await();

    Future<Long> refused = client.merge(Path.of("guarded", "x"), 1);
    Future<Long> after = client.merge(Path.of("open", "y"), 2);
    KoraException failure = assertThrows(KoraException.class, refused::await);
    assertEquals(ReadOnlyPlugin.CODE, failure.code());
    assertTrue(after.await() > 0, "a later write still applies");

    assertNull(guarded.value(), "rolled back");
    assertFalse(guarded.pending());
    SubscriptionChange last = changes.get(changes.size() - 1);
    assertEquals(SubscriptionChange.Cause.WRITE_REFUSED, last.cause());
    assertEquals(ReadOnlyPlugin.CODE, last.errorCode());
    assertEquals(Mutation.delete(Path.of("guarded")), last.change(),
        "applying the change to the previous value gives the new one");
    SubscriptionChange shown = changes.get(changes.size() - 2);
    assertEquals(SubscriptionChange.Cause.LOCAL_WRITE, shown.cause(), "shown at once");
    assertTrue(shown.pending());
    assertEquals(Mutation.merge(Path.of("guarded", "x"), 1), shown.change());
    assertNull(client.query(Path.of("guarded"), QueryOptions.WHOLE).await());
    assertTrue(client.pendingWrites().isEmpty());

    KoraException denied = assertThrows(KoraException.class,
        () -> client.merge(Path.of("kora:log", "x"), 1).await());
    assertEquals("denied", denied.code());
  }
}
