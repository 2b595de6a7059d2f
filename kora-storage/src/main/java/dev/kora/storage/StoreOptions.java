package dev.kora.storage;

import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * How to open a {@link Store}. The URL names the driver and where its data lives:
 * {@code memory}, {@code sqlite:/var/kora/kora.db}, later {@code postgres://user:pass@host:5432/db}.
 * Options that a URL's query string also carries (e.g. {@code ?table=kora}) take the URL's value.
 */
public class StoreOptions {

  /** Default URL: the in-memory store. */
  public static final String DEFAULT_URL = "memory";
  /** Default time a store operation may take before it fails with {@code store_unavailable}: 10,000 ms. */
  public static final long DEFAULT_OPERATION_TIMEOUT_MS = 10_000;
  /** Default number of connections (or worker threads) a driver keeps: 4. */
  public static final int DEFAULT_POOL_SIZE = 4;
  /** Default table (or prefix) the tree is kept in: {@code kora}. */
  public static final String DEFAULT_TABLE = "kora";

  private String url = DEFAULT_URL;
  private long operationTimeoutMs = DEFAULT_OPERATION_TIMEOUT_MS;
  private int poolSize = DEFAULT_POOL_SIZE;
  private String table = DEFAULT_TABLE;

  /** Options with every default. */
  public StoreOptions() {
  }

  /** @param other options to copy */
  public StoreOptions(StoreOptions other) {
    this.url = other.url;
    this.operationTimeoutMs = other.operationTimeoutMs;
    this.poolSize = other.poolSize;
    this.table = other.table;
  }

  /**
   * @param json {@code {"url": "...", "operationTimeoutMs": 10000, "poolSize": 4, "table": "kora"}};
   *     missing fields keep their defaults
   */
  public StoreOptions(JsonObject json) {
    this.url = json.getString("url", DEFAULT_URL);
    this.operationTimeoutMs = json.getLong("operationTimeoutMs", DEFAULT_OPERATION_TIMEOUT_MS);
    this.poolSize = json.getInteger("poolSize", DEFAULT_POOL_SIZE);
    this.table = json.getString("table", DEFAULT_TABLE);
  }

  /** @return the store URL; default {@value #DEFAULT_URL} */
  public String getUrl() {
    return url;
  }

  /**
   * @param url the store URL, required; e.g. {@code sqlite:/var/kora/kora.db}
   * @return these options
   */
  public StoreOptions setUrl(String url) {
    this.url = Objects.requireNonNull(url, "url");
    return this;
  }

  /** @return ms an operation may take before it fails with {@code store_unavailable} */
  public long getOperationTimeoutMs() {
    return operationTimeoutMs;
  }

  /**
   * @param operationTimeoutMs ms, at least 1; default {@value #DEFAULT_OPERATION_TIMEOUT_MS}
   * @return these options
   */
  public StoreOptions setOperationTimeoutMs(long operationTimeoutMs) {
    if (operationTimeoutMs < 1) {
      throw new IllegalArgumentException("operationTimeoutMs must be at least 1");
    }
    this.operationTimeoutMs = operationTimeoutMs;
    return this;
  }

  /** @return connections or worker threads the driver keeps */
  public int getPoolSize() {
    return poolSize;
  }

  /**
   * @param poolSize at least 1; default {@value #DEFAULT_POOL_SIZE}
   * @return these options
   */
  public StoreOptions setPoolSize(int poolSize) {
    if (poolSize < 1) {
      throw new IllegalArgumentException("poolSize must be at least 1");
    }
    this.poolSize = poolSize;
    return this;
  }

  /** @return the table (or prefix) that isolates this tree from other Kora apps in one database */
  public String getTable() {
    return table;
  }

  /**
   * @param table letters, digits and {@code _}, starting with a letter; default
   *     {@value #DEFAULT_TABLE}
   * @return these options
   */
  public StoreOptions setTable(String table) {
    if (table == null || !table.matches("[A-Za-z][A-Za-z0-9_]{0,47}")) {
      throw new IllegalArgumentException("table must be letters, digits and _ (starting with a"
          + " letter, at most 48 characters), got " + table);
    }
    this.table = table;
    return this;
  }

  /** @return the JSON form accepted by {@link #StoreOptions(JsonObject)} */
  public JsonObject toJson() {
    return new JsonObject().put("url", url).put("operationTimeoutMs", operationTimeoutMs)
        .put("poolSize", poolSize).put("table", table);
  }
}
