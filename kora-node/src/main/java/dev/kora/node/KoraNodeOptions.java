package dev.kora.node;

import dev.kora.interceptors.KoraPlugin;
import dev.kora.storage.StoreOptions;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * How a {@link KoraNode} runs: where it listens, which store it uses and its limits.
 *
 * <pre>{@code
 * new KoraNodeOptions().setPort(12000).setStore(new StoreOptions().setUrl("sqlite:/var/kora/kora.db"))
 * }</pre>
 */
public class KoraNodeOptions {

  /** Default interface to listen on: {@code 127.0.0.1} (loopback only, safe by default). */
  public static final String DEFAULT_HOST = "127.0.0.1";
  /** Default port: 12000. */
  public static final int DEFAULT_PORT = 12000;
  /** Default largest WebSocket message or HTTP body accepted: 16 MiB. */
  public static final int DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
  /** Default most bytes waiting to be sent to one WebSocket connection: 64 MiB. */
  public static final long DEFAULT_MAX_BACKLOG_BYTES = 64L * 1024 * 1024;
  /** Default most mutations committed in one store transaction (group commit): 2,048. */
  public static final int DEFAULT_MAX_BATCH_MUTATIONS = 2_048;
  /** Default most mutations waiting for the store before new ones are refused: 100,000. */
  public static final int DEFAULT_MAX_PENDING_MUTATIONS = 100_000;
  /** Default most leaves and deleted paths in one mutation from a client: 100,000. */
  public static final int DEFAULT_MAX_LEAVES_PER_MUTATION = 100_000;
  /** Default most mutations of one client connection waiting for their commit: 1,000. */
  public static final int DEFAULT_MAX_PENDING_WRITES_PER_CONNECTION = 1_000;
  /** Default size from which a frame or request body is parsed on a worker thread: 64 KiB. */
  public static final int DEFAULT_WORKER_PARSE_BYTES = 64 * 1024;

  /** Default most tries of an effect job before it is kept as failed: 8. */
  public static final int DEFAULT_JOB_MAX_ATTEMPTS = 8;
  /** Default wait before the first retry of a failed job, doubled each time: 1,000 ms. */
  public static final long DEFAULT_JOB_BACKOFF_MS = 1_000;

  private String host = DEFAULT_HOST;
  private int port = DEFAULT_PORT;
  private boolean listen = true;
  private StoreOptions store = new StoreOptions();
  private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  private long maxBacklogBytes = DEFAULT_MAX_BACKLOG_BYTES;
  private int maxBatchMutations = DEFAULT_MAX_BATCH_MUTATIONS;
  private int maxPendingMutations = DEFAULT_MAX_PENDING_MUTATIONS;
  private int maxLeavesPerMutation = DEFAULT_MAX_LEAVES_PER_MUTATION;
  private int maxPendingWritesPerConnection = DEFAULT_MAX_PENDING_WRITES_PER_CONNECTION;
  private int workerParseBytes = DEFAULT_WORKER_PARSE_BYTES;
  private int jobMaxAttempts = DEFAULT_JOB_MAX_ATTEMPTS;
  private long jobBackoffMs = DEFAULT_JOB_BACKOFF_MS;
  private final List<KoraPlugin> plugins = new ArrayList<>();

  /** Options with every default. */
  public KoraNodeOptions() {
  }

  /** @param other options to copy */
  public KoraNodeOptions(KoraNodeOptions other) {
    this.host = other.host;
    this.port = other.port;
    this.listen = other.listen;
    this.store = new StoreOptions(other.store);
    this.maxFrameBytes = other.maxFrameBytes;
    this.maxBacklogBytes = other.maxBacklogBytes;
    this.maxBatchMutations = other.maxBatchMutations;
    this.maxPendingMutations = other.maxPendingMutations;
    this.maxLeavesPerMutation = other.maxLeavesPerMutation;
    this.maxPendingWritesPerConnection = other.maxPendingWritesPerConnection;
    this.workerParseBytes = other.workerParseBytes;
    this.jobMaxAttempts = other.jobMaxAttempts;
    this.jobBackoffMs = other.jobBackoffMs;
    this.plugins.addAll(other.plugins);
  }

  /**
   * @param json the form of {@link #toJson()}; missing fields keep their defaults
   */
  public KoraNodeOptions(JsonObject json) {
    this.host = json.getString("host", DEFAULT_HOST);
    this.port = json.getInteger("port", DEFAULT_PORT);
    this.listen = json.getBoolean("listen", true);
    JsonObject storeJson = json.getJsonObject("store");
    this.store = storeJson == null ? new StoreOptions() : new StoreOptions(storeJson);
    this.maxFrameBytes = json.getInteger("maxFrameBytes", DEFAULT_MAX_FRAME_BYTES);
    this.maxBacklogBytes = json.getLong("maxBacklogBytes", DEFAULT_MAX_BACKLOG_BYTES);
    this.maxBatchMutations = json.getInteger("maxBatchMutations", DEFAULT_MAX_BATCH_MUTATIONS);
    this.maxPendingMutations = json.getInteger("maxPendingMutations",
        DEFAULT_MAX_PENDING_MUTATIONS);
    this.maxLeavesPerMutation = json.getInteger("maxLeavesPerMutation",
        DEFAULT_MAX_LEAVES_PER_MUTATION);
    this.maxPendingWritesPerConnection = json.getInteger("maxPendingWritesPerConnection",
        DEFAULT_MAX_PENDING_WRITES_PER_CONNECTION);
    this.workerParseBytes = json.getInteger("workerParseBytes", DEFAULT_WORKER_PARSE_BYTES);
    this.jobMaxAttempts = json.getInteger("jobMaxAttempts", DEFAULT_JOB_MAX_ATTEMPTS);
    this.jobBackoffMs = json.getLong("jobBackoffMs", DEFAULT_JOB_BACKOFF_MS);
  }

  /** @return the interface to listen on */
  public String getHost() {
    return host;
  }

  /**
   * @param host interface address; default {@value #DEFAULT_HOST}; {@code 0.0.0.0} for all
   * @return these options
   */
  public KoraNodeOptions setHost(String host) {
    this.host = Objects.requireNonNull(host, "host");
    return this;
  }

  /** @return the port for WebSocket and HTTP */
  public int getPort() {
    return port;
  }

  /**
   * @param port 0 to 65535; 0 picks a free port (see {@link KoraNode#actualPort()}); default
   *     {@value #DEFAULT_PORT}
   * @return these options
   */
  public KoraNodeOptions setPort(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0 to 65535, got " + port);
    }
    this.port = port;
    return this;
  }

  /** @return whether the node opens its WebSocket/HTTP port (false: embedded API only) */
  public boolean isListen() {
    return listen;
  }

  /**
   * @param listen false to serve only the embedded Java API and the event bus (e.g. for imports);
   *     default true
   * @return these options
   */
  public KoraNodeOptions setListen(boolean listen) {
    this.listen = listen;
    return this;
  }

  /** @return the store options */
  public StoreOptions getStore() {
    return store;
  }

  /**
   * @param store which store to use; default the in-memory store (the CLI defaults to SQLite)
   * @return these options
   */
  public KoraNodeOptions setStore(StoreOptions store) {
    this.store = Objects.requireNonNull(store, "store");
    return this;
  }

  /** @return the largest WebSocket message or HTTP body accepted, in bytes */
  public int getMaxFrameBytes() {
    return maxFrameBytes;
  }

  /**
   * @param maxFrameBytes bytes, at least 1,024; default 16 MiB. Larger messages are refused with
   *     {@code too_large}.
   * @return these options
   */
  public KoraNodeOptions setMaxFrameBytes(int maxFrameBytes) {
    if (maxFrameBytes < 1024) {
      throw new IllegalArgumentException("maxFrameBytes must be at least 1024");
    }
    this.maxFrameBytes = maxFrameBytes;
    return this;
  }

  /** @return the most bytes of replies and pushes waiting to be sent to one connection */
  public long getMaxBacklogBytes() {
    return maxBacklogBytes;
  }

  /**
   * Bounds what a client that reads slower than it is sent to can cost the node. When a reply or push
   * is due and more than this many bytes already wait to be sent to the connection (in the node, beyond
   * what the operating system's socket buffer took), the connection is closed at once, without a
   * close frame (the client sees status 1006) and its subscriptions are dropped; nothing stored is
   * lost, and a client that connects and subscribes again gets the current data. A single reply
   * larger than the limit is still sent.
   *
   * @param maxBacklogBytes bytes, at least 65,536; default 64 MiB
   * @return these options
   */
  public KoraNodeOptions setMaxBacklogBytes(long maxBacklogBytes) {
    if (maxBacklogBytes < 65_536) {
      throw new IllegalArgumentException("maxBacklogBytes must be at least 65536");
    }
    this.maxBacklogBytes = maxBacklogBytes;
    return this;
  }

  /** @return the most mutations committed in one store transaction */
  public int getMaxBatchMutations() {
    return maxBatchMutations;
  }

  /**
   * @param maxBatchMutations at least 1 (1 turns group commit off); default
   *     {@value #DEFAULT_MAX_BATCH_MUTATIONS}
   * @return these options
   */
  public KoraNodeOptions setMaxBatchMutations(int maxBatchMutations) {
    if (maxBatchMutations < 1) {
      throw new IllegalArgumentException("maxBatchMutations must be at least 1");
    }
    this.maxBatchMutations = maxBatchMutations;
    return this;
  }

  /** @return the most mutations that may wait for the store */
  public int getMaxPendingMutations() {
    return maxPendingMutations;
  }

  /**
   * @param maxPendingMutations at least 1; past it new mutations fail with {@code store_unavailable};
   *     default {@value #DEFAULT_MAX_PENDING_MUTATIONS}
   * @return these options
   */
  public KoraNodeOptions setMaxPendingMutations(int maxPendingMutations) {
    if (maxPendingMutations < 1) {
      throw new IllegalArgumentException("maxPendingMutations must be at least 1");
    }
    this.maxPendingMutations = maxPendingMutations;
    return this;
  }

  /** @return the most leaves and deleted paths in one mutation from a client */
  public int getMaxLeavesPerMutation() {
    return maxLeavesPerMutation;
  }

  /**
   * Bounds the work and memory one client mutation can cost: a mutation from a client (WebSocket,
   * REST) that writes more leaves plus deletes more paths than this is refused with
   * {@code too_large} and nothing of it is written. An array counts as one leaf. Writes of the
   * embedded API, the event bus and {@code kora import} (which batches) are not bounded.
   *
   * @param maxLeavesPerMutation at least 1; default {@value #DEFAULT_MAX_LEAVES_PER_MUTATION}
   * @return these options
   */
  public KoraNodeOptions setMaxLeavesPerMutation(int maxLeavesPerMutation) {
    if (maxLeavesPerMutation < 1) {
      throw new IllegalArgumentException("maxLeavesPerMutation must be at least 1");
    }
    this.maxLeavesPerMutation = maxLeavesPerMutation;
    return this;
  }

  /** @return the most mutations of one client connection waiting for their commit */
  public int getMaxPendingWritesPerConnection() {
    return maxPendingWritesPerConnection;
  }

  /**
   * Bounds one connection's share of the node's write queue ({@link #getMaxPendingMutations()}), so
   * that a client sending mutations faster than the store commits them (casts need no answer) cannot
   * fill it and make other clients' writes fail: once this many of its mutations wait for their
   * commit, the node stops reading the connection's WebSocket until some of them are committed.
   * Nothing is refused; the client's sends slow down to the store's pace (TCP flow control).
   *
   * @param maxPendingWritesPerConnection mutations, at least 1; default
   *     {@value #DEFAULT_MAX_PENDING_WRITES_PER_CONNECTION}
   * @return these options
   */
  public KoraNodeOptions setMaxPendingWritesPerConnection(int maxPendingWritesPerConnection) {
    if (maxPendingWritesPerConnection < 1) {
      throw new IllegalArgumentException("maxPendingWritesPerConnection must be at least 1");
    }
    this.maxPendingWritesPerConnection = maxPendingWritesPerConnection;
    return this;
  }

  /** @return the size from which a frame or request body is parsed on a worker thread */
  public int getWorkerParseBytes() {
    return workerParseBytes;
  }

  /**
   * Keeps large requests from stalling the node's event loop, which serves every connection: a
   * WebSocket frame of more characters than this (and a REST body of more bytes) is parsed and its
   * mutation or query checked on a worker thread. Meanwhile the connection's later frames wait, so
   * they are still handled in the order sent. Smaller ones are parsed on the event loop, where that
   * costs less than the hand-off.
   *
   * @param workerParseBytes at least 1,024; default {@value #DEFAULT_WORKER_PARSE_BYTES}
   * @return these options
   */
  public KoraNodeOptions setWorkerParseBytes(int workerParseBytes) {
    if (workerParseBytes < 1024) {
      throw new IllegalArgumentException("workerParseBytes must be at least 1024");
    }
    this.workerParseBytes = workerParseBytes;
    return this;
  }

  /** @return the most tries of an effect job */
  public int getJobMaxAttempts() {
    return jobMaxAttempts;
  }

  /**
   * @param jobMaxAttempts at least 1; default {@value #DEFAULT_JOB_MAX_ATTEMPTS}
   * @return these options
   */
  public KoraNodeOptions setJobMaxAttempts(int jobMaxAttempts) {
    if (jobMaxAttempts < 1) {
      throw new IllegalArgumentException("jobMaxAttempts must be at least 1");
    }
    this.jobMaxAttempts = jobMaxAttempts;
    return this;
  }

  /** @return ms before the first retry of a failed job; doubled for each further retry */
  public long getJobBackoffMs() {
    return jobBackoffMs;
  }

  /**
   * @param jobBackoffMs ms, at least 1; default {@value #DEFAULT_JOB_BACKOFF_MS}
   * @return these options
   */
  public KoraNodeOptions setJobBackoffMs(long jobBackoffMs) {
    if (jobBackoffMs < 1) {
      throw new IllegalArgumentException("jobBackoffMs must be at least 1");
    }
    this.jobBackoffMs = jobBackoffMs;
    return this;
  }

  /**
   * Adds an application plugin: interceptors, action handlers and effect handlers. Plugins are objects,
   * so they are not part of {@link #toJson()}.
   *
   * @param plugin the plugin; its interceptors run after those of plugins added before it
   * @return these options
   */
  public KoraNodeOptions addPlugin(KoraPlugin plugin) {
    plugins.add(Objects.requireNonNull(plugin, "plugin"));
    return this;
  }

  /** @return the plugins, in the order they were added */
  public List<KoraPlugin> getPlugins() {
    return Collections.unmodifiableList(plugins);
  }

  /** @return the JSON form accepted by {@link #KoraNodeOptions(JsonObject)} */
  public JsonObject toJson() {
    return new JsonObject().put("host", host).put("port", port).put("listen", listen)
        .put("store", store.toJson()).put("maxFrameBytes", maxFrameBytes)
        .put("maxBacklogBytes", maxBacklogBytes)
        .put("maxBatchMutations", maxBatchMutations)
        .put("maxPendingMutations", maxPendingMutations)
        .put("maxLeavesPerMutation", maxLeavesPerMutation)
        .put("maxPendingWritesPerConnection", maxPendingWritesPerConnection)
        .put("workerParseBytes", workerParseBytes)
        .put("jobMaxAttempts", jobMaxAttempts).put("jobBackoffMs", jobBackoffMs);
  }
}
