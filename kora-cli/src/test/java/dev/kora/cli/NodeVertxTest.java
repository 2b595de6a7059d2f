package dev.kora.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kora.testkit.ChildJvm;
import io.netty.util.Recycler;
import io.vertx.core.Vertx;
import java.io.File;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link NodeVertx} in a fresh JVM, as {@code kora serve} runs it: Netty's object pools are off unless
 * the JVM was started with {@value NodeVertx#RECYCLER_PROPERTY}. A child JVM, because Netty reads the
 * setting once per JVM and this test JVM has long used Netty.
 */
class NodeVertxTest {

  @Test
  void nettysObjectPoolsAreOffInANodesJvm() throws Exception {
    assertEquals("not pooled", probe(List.of()));
  }

  @Test
  void aRecyclerSettingGivenToTheJvmIsKept() throws Exception {
    assertEquals("pooled", probe(List.of("-D" + NodeVertx.RECYCLER_PROPERTY + "=4096")));
  }

  private static String probe(List<String> jvmOptions) throws Exception {
    File stderr = Files.createTempFile("kora-node-vertx", ".log").toFile();
    List<String> options = new ArrayList<>(ChildJvm.SMALL_JVM);
    options.addAll(jvmOptions);
    ChildJvm child = ChildJvm.start(options, ChildJvm.testClassPath(), stderr,
        Probe.class.getName());
    try {
      if (!child.process().waitFor(60, TimeUnit.SECONDS)) {
        throw new AssertionError("the probe did not end within 60 s: " + child.stderrText());
      }
      assertEquals(0, child.process().exitValue(), child.stderrText());
      // The reader thread may still be taking the last line.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (child.lines().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      return child.lines().isEmpty() ? "nothing printed" : child.lines().get(0);
    } finally {
      child.destroy();
      stderr.delete();
    }
  }

  /**
   * Starts a node's Vert.x instance, then asks a Netty {@link Recycler} for an object, gives it back
   * and asks again: the same object when the pools are on. Prints {@code pooled} or
   * {@code not pooled}.
   */
  public static final class Probe {

    public static void main(String[] args) throws Exception {
      Vertx vertx = NodeVertx.create();
      Recycler<Pooled> recycler = new Recycler<>() {
        @Override
        protected Pooled newObject(Handle<Pooled> handle) {
          return new Pooled(handle);
        }
      };
      Pooled first = recycler.get();
      first.handle.recycle(first);
      Pooled second = recycler.get();
      System.out.println(first == second ? "pooled" : "not pooled");
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static final class Pooled {
    final Recycler.Handle<Pooled> handle;

    Pooled(Recycler.Handle<Pooled> handle) {
      this.handle = handle;
    }
  }
}
