package dev.kora.node.core;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.backends.BackendRegistries;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The node's own metrics, recorded with Micrometer into the registry the node exposes at
 * {@code /metrics} (Prometheus text; names and units in docs/operations.md). Counters and timers
 * are safe from any thread; the gauges read node state and are read on the node's event loop, where
 * {@code /metrics} is served.
 */
public final class NodeMetrics {

  /** Where interceptors run, a tag of {@code kora.interceptors}. */
  public enum InterceptorPhase {
    /** {@code validateMutation}, {@code beforeMutation} and {@code effect} of a write. */
    PREPARE("prepare"),
    /** {@code afterMutation}. */
    AFTER_MUTATION("after_mutation"),
    /** {@code beforeQuery} of a query or subscribe. */
    QUERY("query"),
    /** {@code filterDelivery} of one push. */
    DELIVERY("delivery");

    private final String tag;

    InterceptorPhase(String tag) {
      this.tag = tag;
    }
  }

  private final MeterRegistry registry;
  private final Counter committed;
  private final Counter failed;
  private final DistributionSummary batchSize;
  private final Timer storeWrite;
  private final Timer reads;
  private final Counter pushes;
  private final Counter pushBytes;
  private final Counter jobsFailed;
  private final java.util.EnumMap<InterceptorPhase, Timer> interceptors =
      new java.util.EnumMap<>(InterceptorPhase.class);
  private final AtomicInteger connections = new AtomicInteger();
  /** The GC listener bound to a registry of the node's own, closed with the node; or null. */
  private final JvmGcMetrics gc;

  /**
   * The metrics of a node: into the Prometheus registry of Vert.x's Micrometer metrics when the
   * Vert.x instance has them on ({@code kora serve} does, with JVM metrics), else into a registry
   * of the node's own with the JVM's metrics bound to it.
   *
   * @return the node's metrics; {@link #close()} them when the node stops
   */
  public static NodeMetrics forVertx() {
    MeterRegistry vertx = BackendRegistries.getDefaultNow();
    if (vertx instanceof PrometheusMeterRegistry) {
      return new NodeMetrics(vertx, false);
    }
    return new NodeMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), true);
  }

  /**
   * @param registry where the meters go
   * @param bindJvm whether to add the JVM's metrics (memory, GC, threads, class loading, CPU,
   *     uptime) to it
   */
  public NodeMetrics(MeterRegistry registry, boolean bindJvm) {
    this.registry = registry;
    if (bindJvm) {
      new JvmMemoryMetrics().bindTo(registry);
      gc = new JvmGcMetrics();
      gc.bindTo(registry);
      new JvmThreadMetrics().bindTo(registry);
      new ClassLoaderMetrics().bindTo(registry);
      new ProcessorMetrics().bindTo(registry);
      new UptimeMetrics().bindTo(registry);
    } else {
      gc = null;
    }
    this.committed = Counter.builder("kora.mutations.committed")
        .description("Mutations committed durably").register(registry);
    this.failed = Counter.builder("kora.mutations.failed")
        .description("Mutations the store refused or failed (nothing written)").register(registry);
    this.batchSize = DistributionSummary.builder("kora.commit.batch.mutations")
        .description("Mutations per store transaction (group commit)").publishPercentiles(0.5, 0.99)
        .register(registry);
    this.storeWrite = Timer.builder("kora.store.write")
        .description("Time of one group commit in the store").publishPercentileHistogram()
        .minimumExpectedValue(java.time.Duration.ofMillis(1))
        .maximumExpectedValue(java.time.Duration.ofSeconds(10)).register(registry);
    this.reads = Timer.builder("kora.reads")
        .description("Time to answer a client's query or subscribe (store read included)")
        .publishPercentileHistogram().minimumExpectedValue(java.time.Duration.ofMillis(1))
        .maximumExpectedValue(java.time.Duration.ofSeconds(30)).register(registry);
    this.pushes = Counter.builder("kora.pushes").description("Pushes sent to WebSocket connections")
        .register(registry);
    this.pushBytes = Counter.builder("kora.push.bytes").baseUnit("bytes")
        .description("Bytes of the pushes sent to WebSocket connections").register(registry);
    this.jobsFailed = Counter.builder("kora.effect.jobs.failed")
        .description("Effect jobs that failed for good (kept with state failed)").register(registry);
    for (InterceptorPhase phase : InterceptorPhase.values()) {
      interceptors.put(phase, Timer.builder("kora.interceptors").tag("phase", phase.tag)
          .description("Time in interceptors (until their answer, 'later' ones included)")
          .register(registry));
    }
    Gauge.builder("kora.connections", connections, AtomicInteger::get)
        .description("Open WebSocket connections").register(registry);
  }

  /**
   * @return the metrics in the Prometheus text format (version 0.0.4), or null when the registry is
   *     not a Prometheus one
   */
  public String scrape() {
    return registry instanceof PrometheusMeterRegistry prometheus ? prometheus.scrape() : null;
  }

  /** Stops the JVM's GC listener of a registry of the node's own. */
  public void close() {
    if (gc != null) {
      gc.close();
    }
  }

  /** @return the registry, e.g. to add an application's meters */
  public MeterRegistry registry() {
    return registry;
  }

  /**
   * A group commit settled.
   *
   * @param mutations mutations in it
   * @param failedMutations how many of them failed
   * @param nanos how long the store took, ns
   */
  public void committed(int mutations, int failedMutations, long nanos) {
    committed.increment(mutations - failedMutations);
    if (failedMutations > 0) {
      failed.increment(failedMutations);
    }
    batchSize.record(mutations);
    storeWrite.record(nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * @param phase where the interceptors ran
   * @param nanos how long until they answered, ns
   */
  public void interceptors(InterceptorPhase phase, long nanos) {
    interceptors.get(phase).record(nanos, TimeUnit.NANOSECONDS);
  }

  /** @param nanos how long a client's read took to answer, ns */
  public void read(long nanos) {
    reads.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** @param bytes the size of a push sent to one connection */
  public void pushed(int bytes) {
    pushes.increment();
    pushBytes.increment(bytes);
  }

  /** A WebSocket connection opened. */
  public void connectionOpened() {
    connections.incrementAndGet();
  }

  /** A WebSocket connection closed. */
  public void connectionClosed() {
    connections.decrementAndGet();
  }

  /** An effect job failed for good. */
  public void jobFailed() {
    jobsFailed.increment();
  }

  /**
   * Registers a gauge read from node state at each scrape.
   *
   * @param name e.g. {@code kora.mutations.pending}
   * @param description what it counts
   * @param value reads the value; called on the node's event loop
   */
  public void gauge(String name, String description, Supplier<Number> value) {
    Gauge.builder(name, value).description(description).register(registry);
  }

  /**
   * The few figures the console shows at a glance, read from the registry; rates are the
   * differences of the counters between two glances.
   *
   * @return {@code {"mutationsCommitted": total, "pushes": total, "connections": n,
   *     "subscriptions": n, "mutationsPending": n}}; a gauge not registered yet reads 0
   */
  public JsonObject glance() {
    return new JsonObject()
        .put("mutationsCommitted", committed.count())
        .put("pushes", pushes.count())
        .put("connections", connections.get())
        .put("subscriptions", gaugeValue("kora.subscriptions"))
        .put("mutationsPending", gaugeValue("kora.mutations.pending"));
  }

  private double gaugeValue(String name) {
    Gauge gauge = registry.find(name).gauge();
    return gauge == null ? 0 : gauge.value();
  }
}
