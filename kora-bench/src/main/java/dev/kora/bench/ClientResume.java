package dev.kora.bench;

import dev.kora.client.KoraClient;
import dev.kora.client.KoraClientOptions;
import dev.kora.client.Subscription;
import dev.kora.client.SubscriptionChange;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import org.HdrHistogram.Recorder;

/**
 * The resume scenario's kora-client part: a {@link KoraClient} (memory local store) subscribes to the
 * seeded subtree, which gives the heap its cache costs per leaf; then, each round, it goes offline,
 * another connection changes leaves, and it comes back: the time from {@link KoraClient#goOnline} to
 * its copy being at the node's version (reconnect, resubscribe with {@code since}, delta applied).
 */
final class ClientResume {

  private ClientResume() {
  }

  static void measure(BenchOptions options, String url, int leaves, int rounds,
      IntConsumer writeChanges, Result result) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
      long heapBefore = settledHeap(memory);
      KoraClient client = KoraClient.create(vertx, new KoraClientOptions().setUrl(url)
          .setReconnectInitialDelayMs(1).setReconnectMaxDelayMs(50)).await();
      AtomicReference<Promise<Long>> awaited = new AtomicReference<>();
      Subscription subscription = client.subscribe(ResumeScenario.BASE, change -> {
        Promise<Long> promise = awaited.get();
        if (promise != null && (change.cause() == SubscriptionChange.Cause.ANSWER
            || change.cause() == SubscriptionChange.Cause.RESET)) {
          promise.tryComplete(change.version());
        }
      });
      subscription.synced().await();
      long heapAfter = settledHeap(memory);
      Object value = subscription.value();
      if (!(value instanceof JsonObject cached) || cached.size() != leaves) {
        throw new IllegalStateException("the client's copy does not hold the " + leaves
            + " leaves");
      }
      result.put("client_heap_bytes_per_cached_leaf", (heapAfter - heapBefore) / leaves);
      Recorder times = Latency.recorder();
      for (int round = 0; round < rounds; round++) {
        client.goOffline().await();
        writeChanges.accept(round);
        Promise<Long> answered = Promise.promise();
        awaited.set(answered);
        long start = System.nanoTime();
        client.goOnline().await();
        answered.future().await(60, TimeUnit.SECONDS);
        long took = System.nanoTime() - start;
        Latency.record(times, took);
        options.log("client resume round %d: %.1f ms", round + 1, took / 1e6);
      }
      Latency.put(result, "client_resume_", times.getIntervalHistogram());
      result.note("client_resume_*: kora-client holding the subtree in its memory local store,"
          + " from goOnline() to the resume answer applied (reconnect included);"
          + " client_heap_bytes_per_cached_leaf: heap growth after GC over the cached leaves, the"
          + " client's view and the memory store's copy together");
      client.close().await();
    } finally {
      vertx.close().await();
    }
  }

  private static long settledHeap(MemoryMXBean memory) throws InterruptedException {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
      used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
    }
    return used;
  }
}
