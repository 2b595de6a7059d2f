package dev.kora.bench;

import dev.kora.client.KoraClient;
import dev.kora.client.KoraClientOptions;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The write scenario's {@code --client} run: the same writes as the raw sockets, made through
 * kora-client ({@link KoraClient#mutate}: a built and checked {@link Mutation}, an id, the outbox in
 * a memory local store, the version answer), N clients each keeping W writes in flight.
 */
final class ClientWrites {

  final Recorder recorder = Latency.recorder();
  final AtomicLong errors = new AtomicLong();
  final AtomicReference<String> firstError = new AtomicReference<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean running = true;
  Histogram histogram;
  double seconds;
  Machine.CpuWindow cpu;

  /**
   * Runs the clients against the node for the options' warm-up and duration.
   *
   * @param node the node
   * @param clients how many clients
   * @param window writes in flight per client
   * @param keys random keys drawn from this many
   * @param city 6-field objects instead of one leaf
   */
  void run(BenchOptions options, BenchNode node, int clients, int window, int keys, boolean city)
      throws Exception {
    String url = node.url();
    cpu = new Machine.CpuWindow(node);
    Vertx vertx = Vertx.vertx(new VertxOptions().setBlockedThreadCheckInterval(60_000));
    try {
      List<KoraClient> opened = new ArrayList<>();
      for (int id = 0; id < clients; id++) {
        KoraClient client = KoraClient.create(vertx, new KoraClientOptions().setUrl(url)
            .setMaxWritesInFlight(window)).await();
        opened.add(client);
      }
      for (int id = 0; id < clients; id++) {
        KoraClient client = opened.get(id);
        Data data = new Data(new SplittableRandom(id + 1_000_000L).nextLong(), keys);
        for (int i = 0; i < window; i++) {
          write(client, data, city);
        }
      }
      WriteScenario.Window measured = WriteScenario.measure(options, recorder, errors, cpu);
      histogram = measured.histogram();
      seconds = measured.seconds();
      running = false;
      WriteScenario.awaitDrained(inFlight);
      for (KoraClient client : opened) {
        client.close().await();
      }
    } finally {
      vertx.close().await();
    }
  }

  private void write(KoraClient client, Data data, boolean city) {
    Path path = Path.of("bench", city ? "c" : "w", data.randomKey());
    Object value;
    if (city) {
      StringBuilder text = new StringBuilder(256);
      data.appendCity(text);
      value = new JsonObject(text.toString());
    } else {
      value = data.leaf();
    }
    inFlight.incrementAndGet();
    long sent = System.nanoTime();
    client.mutate(Mutation.merge(path, value)).onComplete(done -> {
      inFlight.decrementAndGet();
      if (done.succeeded()) {
        Latency.record(recorder, System.nanoTime() - sent);
      } else {
        errors.incrementAndGet();
        firstError.compareAndSet(null, String.valueOf(done.cause()));
      }
      if (running) {
        write(client, data, city);
      }
    });
  }
}
