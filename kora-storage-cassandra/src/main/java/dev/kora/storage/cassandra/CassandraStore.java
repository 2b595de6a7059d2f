package dev.kora.storage.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import dev.kora.storage.LeafCursor;
import dev.kora.storage.ReadRange;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.spi.FenceCheck;
import dev.kora.storage.spi.GroupCommit;
import dev.kora.storage.spi.PathEncoding;
import dev.kora.storage.spi.StoreBase;
import dev.kora.storage.spi.StoreFutures;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.LeafWrite;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The tree in Apache Cassandra, through the Apache Cassandra Java driver. Open it with
 * {@link dev.kora.storage.Stores#open} and a URL such as
 * {@code cassandra://127.0.0.1:9042/kora?table=kora&partitionDepth=1}, or with {@link #open}; the
 * keyspace (SimpleStrategy) and the tables are created on first use. See docs/stores/cassandra.md.
 *
 * <p>Layout: table {@code <table>} holds one row per leaf: partition key {@code part} = the first
 * {@code partitionDepth} keys of the path, clustering key {@code path} = the remaining keys, both
 * encoded by {@link PathEncoding} as {@code text} (Cassandra compares text by its UTF-8 bytes, the
 * tree's order), {@code leaf} = the JSON text (see {@link CassandraLayout}). Table
 * {@code <table>_partitions} lists the partition keys that may hold rows, in byte order, for reads
 * that span partitions (the root, or a path shallower than the depth). A partition emptied by
 * deletes below the depth stays listed and is skipped by reads; a partition deleted whole is
 * unlisted.
 *
 * <p>URL options, which take precedence over {@link StoreOptions}:
 * <ul>
 *   <li>{@code table} — the data table; default {@link StoreOptions#getTable()} ({@code kora}), at
 *       most 37 characters.</li>
 *   <li>{@code partitionDepth} — keys in a partition key, 1 to 32; default 1. Fixed when the table
 *       is created: opening it with another depth fails.</li>
 *   <li>{@code localDatacenter} — the datacenter the driver talks to; default
 *       {@code datacenter1}.</li>
 *   <li>{@code replication} — replication factor of a keyspace the store creates; default 1.</li>
 *   <li>{@code consistency} — consistency level of reads and writes; default
 *       {@code LOCAL_QUORUM}.</li>
 *   <li>{@code poolSize} — the number of driver I/O threads; default
 *       {@link StoreOptions#getPoolSize()}.</li>
 *   <li>{@code timeoutMs} — the timeout of each request to Cassandra; default
 *       {@link StoreOptions#getOperationTimeoutMs()}.</li>
 * </ul>
 * A user and password in the URL ({@code cassandra://user:secret@host/ks}) turn on password
 * authentication; {@link #describe()} never shows the password. The URL is parsed as a
 * {@link dev.kora.storage.spi.ServerUrl} that may name several contact points.
 *
 * <p>Writes, unfenced: {@link #write} calls, and the mutations of {@link #writeEach}, are applied
 * one at a time, in call order, through {@link StoreBase}'s queue (a group holds one call). Each is
 * one LOGGED batch on the data table — atomic: all of it is applied or none (a batch that spans
 * partitions is replayed from Cassandra's batch log after a coordinator failure). Every statement
 * carries its own client-side timestamp, strictly increasing across the store, deletes before
 * inserts (at equal timestamps a tombstone would beat an insert). The list of partitions is
 * updated around the batch (additions before, removals after) so that a listed partition may be
 * empty but a partition with rows is always listed. Isolation holds within one partition only: a
 * reader may see part of a write that spans partitions while it applies; cursors are not
 * snapshots.
 *
 * <p>Fences ({@link #fences()} is true; see {@link CassandraFences} and docs/cluster.md): table
 * {@code <table>_fences} holds one row per fenced path. While fenced, up to
 * {@value #FENCED_MAX_GROUP} queued calls (about {@value #FENCED_MAX_GROUP_BYTES} bytes) form one
 * group, decided by one lightweight transaction on the fence row — conditional on the fence's
 * value and on the row being as this store last wrote it — which also records the group's row
 * operations with their timestamps (the redo). Not applied: every call fails with {@code fenced}
 * and nothing is written. Applied: the data follows, one UNLOGGED batch per partition. The first
 * write after {@link #fence} takes the fence over: it reads the row with SERIAL consistency,
 * applies its redo again (the same cells at the same timestamps), raises the store's clock above
 * every timestamp the row's writers used, checks the fenced leaf and claims the row, so that a
 * former holder can decide nothing more and its late data loses to every newer write. A write
 * whose outcome is unknown (its transaction timed out, or its data failed after it) fails with
 * {@code fenced}, and so does every later write until the store is fenced anew (whose takeover
 * completes it). The order of fenced writes needs no synchronized clocks: Paxos decides it, and
 * the raised clock keeps the timestamps in that order.
 *
 * <p>Threading: every method may be called from any thread and never blocks; the driver does its
 * I/O on its own threads. Futures complete on the caller's Vert.x context (an event loop context
 * when the caller is outside Vert.x).
 *
 * <p>Errors: no reachable node, a request over the operation timeout, too few replicas, a closed
 * store: {@link KoraException} code {@code store_unavailable}; a write larger than Cassandra
 * accepts as one batch (unfenced) or one request (a fenced group's redo): {@code too_large}; a
 * fenced write whose fence does not hold, or whose outcome is unknown: {@code fenced}. A bad URL
 * fails {@link #open} with
 * {@code invalid_message}.
 */
public final class CassandraStore extends StoreBase<List<Mutation>> {

  /** Rows (and listed partitions) fetched per page. */
  static final int PAGE_SIZE = 1_000;
  /** The most statements Cassandra's native protocol takes in one batch. */
  static final int MAX_BATCH_STATEMENTS = 65_535;
  /** Most calls one fenced group (one lightweight transaction) holds. */
  static final int FENCED_MAX_GROUP = GroupCommit.DEFAULT_MAX_GROUP;
  /**
   * About the most bytes of calls ({@link #rows}) one fenced group holds: its redo goes in one
   * request, well under the 4 MiB a server may accept as one message
   * ({@code native_transport_max_message_size}).
   */
  static final long FENCED_MAX_GROUP_BYTES = 1L << 20;
  /** Schema changes may take longer than ordinary requests: at least this long. */
  private static final Duration MIN_SCHEMA_TIMEOUT = Duration.ofSeconds(30);

  private static final AtomicLong LAST_TIMESTAMP = new AtomicLong();

  private final CassandraUrl url;
  private final CqlSession session;
  private final CassandraSchema schema;
  private final CassandraLayout layout;
  private final CassandraOps ops;
  private final CassandraFences fences;
  private volatile Path failAt;
  /** Replaces the data step of fenced writes, for the fence tests; null: run it. */
  private volatile Function<List<CassandraRedo.Op>, CompletionStage<Void>> decidedData;

  private CassandraStore(Vertx vertx, CassandraUrl url, CqlSession session,
      CassandraSchema schema) {
    // one call per group: a call is one LOGGED batch, and a failed batch cannot be told apart by call
    super(vertx, url.timeoutMs(), 1, FENCED_MAX_GROUP_BYTES);
    this.url = url;
    this.session = session;
    this.schema = schema;
    this.layout = new CassandraLayout(url.partitionDepth());
    this.ops = new CassandraOps(session, schema, url.describe());
    this.fences = new CassandraFences(session, schema, layout, ops, CassandraStore::raiseClock);
  }

  /**
   * Connects, creates the keyspace and tables when missing, checks the table's partition depth and
   * prepares the statements. Never blocks: the driver session is built on a worker thread.
   *
   * @param vertx the Vert.x instance
   * @param options the URL ({@code cassandra://...}), table, pool size and operation timeout
   * @return the open store; fails with {@code invalid_message} for a bad URL or a table created
   *     with another partition depth, {@code store_unavailable} when Cassandra cannot be reached
   */
  public static Future<CassandraStore> open(Vertx vertx, StoreOptions options) {
    CassandraUrl url;
    try {
      url = CassandraUrl.parse(options);
    } catch (KoraException e) {
      return Future.failedFuture(e);
    }
    Context context = vertx.getOrCreateContext();
    Duration timeout = Duration.ofMillis(url.timeoutMs());
    return vertx.executeBlocking(() -> builder(url, timeout).buildAsync(), false)
        .compose(building -> {
          CompletionStage<CassandraStore> opening = building.thenCompose(session -> {
            CompletableFuture<CassandraStore> opened = new CompletableFuture<>();
            initialize(vertx, url, session, timeout).whenComplete((store, error) -> {
              if (error == null) {
                opened.complete(store);
              } else {
                session.closeAsync()
                    .whenComplete((v, ignored) -> opened.completeExceptionally(error));
              }
            });
            return opened;
          });
          return onContext(context, opening, "opening " + url.describe());
        }, error -> Future.failedFuture(CassandraErrors.wrap("opening " + url.describe(), error)));
  }

  private static CqlSessionBuilder builder(CassandraUrl url, Duration timeout) {
    ClassLoader loader = CassandraStore.class.getClassLoader();
    DriverConfigLoader config = DriverConfigLoader.programmaticBuilder(loader)
        .withString(DefaultDriverOption.SESSION_NAME, "kora-" + url.table())
        .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, timeout)
        .withString(DefaultDriverOption.REQUEST_CONSISTENCY, url.consistency().name())
        .withInt(DefaultDriverOption.REQUEST_PAGE_SIZE, PAGE_SIZE)
        // every write carries explicit timestamps, so running it twice changes nothing
        .withBoolean(DefaultDriverOption.REQUEST_DEFAULT_IDEMPOTENCE, true)
        // reads cross the range tombstones of earlier leaf writes by design, and batches that span
        // partitions exceed the 5 KiB warning size often: the server logs those warnings itself
        .withBoolean(DefaultDriverOption.REQUEST_LOG_WARNINGS, false)
        .withDuration(DefaultDriverOption.CONNECTION_CONNECT_TIMEOUT, timeout)
        .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, timeout)
        .withDuration(DefaultDriverOption.CONTROL_CONNECTION_TIMEOUT, timeout)
        .withDuration(DefaultDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, timeout)
        .withStringList(DefaultDriverOption.METADATA_SCHEMA_REFRESHED_KEYSPACES,
            List.of(url.keyspace()))
        .withInt(DefaultDriverOption.NETTY_IO_SIZE, url.poolSize())
        .withInt(DefaultDriverOption.NETTY_IO_SHUTDOWN_QUIET_PERIOD, 0)
        .withInt(DefaultDriverOption.NETTY_ADMIN_SHUTDOWN_QUIET_PERIOD, 0)
        .build();
    CqlSessionBuilder builder = CqlSession.builder()
        .withClassLoader(loader)
        .withConfigLoader(config)
        .withLocalDatacenter(url.localDatacenter())
        .addContactPoints(url.contactPoints());
    if (url.user() != null) {
      builder.withAuthCredentials(url.user(), url.password() == null ? "" : url.password());
    }
    return builder;
  }

  private static CompletionStage<CassandraStore> initialize(Vertx vertx, CassandraUrl url,
      CqlSession session, Duration timeout) {
    Duration schemaTimeout = timeout.compareTo(MIN_SCHEMA_TIMEOUT) < 0 ? MIN_SCHEMA_TIMEOUT
        : timeout;
    List<SimpleStatement> ddl = CassandraSchema.createStatements(url, schemaTimeout);
    // Create only what is missing (a user without CREATE permission can open existing tables):
    // the keyspace first, then the three tables at once.
    return session.executeAsync(CassandraSchema.tablesQuery(url)).thenCompose(existing -> {
      Set<String> tables = new HashSet<>();
      existing.currentPage().forEach(row -> tables.add(row.getString(0)));
      boolean keyspaceMissing = tables.isEmpty();
      CompletionStage<?> keyspace = keyspaceMissing ? session.executeAsync(ddl.get(0))
          : CompletableFuture.completedFuture(null);
      return keyspace.thenCompose(v -> CompletableFuture.allOf(
          tables.contains(url.table()) ? CompletableFuture.completedFuture(null)
              : session.executeAsync(ddl.get(1)).toCompletableFuture(),
          tables.contains(url.table() + "_partitions") ? CompletableFuture.completedFuture(null)
              : session.executeAsync(ddl.get(2)).toCompletableFuture(),
          tables.contains(url.table() + "_fences") ? CompletableFuture.completedFuture(null)
              : session.executeAsync(ddl.get(3)).toCompletableFuture()));
    })
        .thenCompose(v -> session.executeAsync(CassandraSchema.commentQuery(url)))
        .thenCompose(result -> {
          Row row = result.one();
          String comment = row == null ? null : row.getString(0);
          String expected = CassandraSchema.COMMENT_PREFIX + url.partitionDepth();
          if (comment == null || !comment.startsWith(CassandraSchema.COMMENT_PREFIX)) {
            throw new KoraException(ErrorCode.INVALID_MESSAGE, "the table " + url.keyspace() + "."
                + url.table() + " exists but was not created by Kora (comment '" + comment + "')");
          }
          if (!comment.equals(expected)) {
            throw new KoraException(ErrorCode.INVALID_MESSAGE, "the table " + url.keyspace() + "."
                + url.table() + " was created with partitionDepth="
                + comment.substring(CassandraSchema.COMMENT_PREFIX.length())
                + "; open it with that partitionDepth, not " + url.partitionDepth());
          }
          return new CassandraSchema(url).prepare(session);
        })
        .thenApply(schema -> new CassandraStore(vertx, url, session, schema));
  }

  /** @return the keyspace holding the tree */
  public String keyspace() {
    return url.keyspace();
  }

  /** @return the data table; the list of partitions is this name followed by {@code _partitions} */
  public String table() {
    return url.table();
  }

  /** @return keys in a partition key */
  public int partitionDepth() {
    return url.partitionDepth();
  }

  @Override
  protected List<Mutation> plan(List<Mutation> mutations) {
    return List.copyOf(mutations);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Here an estimate of the call's size in bytes as its redo and statements carry it (paths
   * twice, values once, a few dozen bytes per operation), so that a fenced group, whose redo is one
   * request, stays near {@value #FENCED_MAX_GROUP_BYTES} bytes (a single call larger than that is
   * still taken alone). Unfenced groups hold one call, which this does not change.
   */
  @Override
  protected long rows(List<Mutation> work) {
    long bytes = 0;
    for (Mutation mutation : work) {
      for (Path deleted : mutation.deletes()) {
        bytes += 2L * chars(deleted) + 32;
      }
      for (LeafWrite write : mutation.writes()) {
        Object value = write.value();
        bytes += 2L * chars(write.path()) + 48 + (value instanceof String text ? text.length() + 2
            : value instanceof Number || value instanceof Boolean || value == null ? 16
            : write.valueJson().length());
      }
    }
    return bytes;
  }

  private static long chars(Path path) {
    long chars = 0;
    for (int i = 0; i < path.size(); i++) {
      chars += path.key(i).length() + 1;
    }
    return chars;
  }

  /** True: fenced writes are decided by a lightweight transaction on the fence table. */
  @Override
  public boolean fences() {
    return true;
  }

  /**
   * 1 while the store is unfenced (a call is one LOGGED batch, and a failed batch cannot be told
   * apart by call); {@value #FENCED_MAX_GROUP} while fenced: one lightweight transaction decides
   * the whole group.
   */
  @Override
  protected int maxGroup() {
    return fenceCheck() == null ? 1 : FENCED_MAX_GROUP;
  }

  /**
   * Applies a group: unfenced, as one LOGGED batch (a group then holds one call, see
   * {@link #maxGroup()}; one taken just as the fence was cleared may hold more, which then succeed
   * or fail together); fenced, decided by one lightweight transaction on the fence row and then
   * applied partition by partition (see {@link CassandraFences}).
   */
  @Override
  protected Future<Void> commit(List<GroupCommit.Entry<List<Mutation>>> group) {
    FenceCheck check = fenceCheck();
    List<Mutation> mutations;
    if (group.size() == 1) {
      mutations = group.get(0).work();
    } else {
      mutations = new ArrayList<>();
      for (GroupCommit.Entry<List<Mutation>> entry : group) {
        mutations.addAll(entry.work());
      }
    }
    CompletionStage<Void> applied;
    try {
      applied = check == null ? planOps(mutations).thenCompose(ops::runLogged)
          : applyFenced(check, mutations);
    } catch (RuntimeException e) {
      applied = CompletableFuture.failedFuture(e);
    }
    String action = "writing to " + url.describe();
    return Future.fromCompletionStage(applied)
        .recover(error -> Future.failedFuture(CassandraErrors.wrap(action, error)));
  }

  /**
   * Takes the fence over when it is new, plans the write, decides it on the fence row, then
   * applies it; a failure of the data after the decision refuses the store's writes until it is
   * fenced anew.
   */
  private CompletionStage<Void> applyFenced(FenceCheck check, List<Mutation> mutations) {
    return fences.ready(check)
        .thenCompose(v -> planOps(mutations))
        .thenCompose(writeOps -> fences.decide(check, mutations, writeOps)
            .thenCompose(v -> applyDecided(writeOps)
                .handle((done, error) -> {
                  if (error != null) {
                    throw fences.broken(check, error);
                  }
                  return done;
                })));
  }

  private CompletionStage<Void> applyDecided(List<CassandraRedo.Op> writeOps) {
    Function<List<CassandraRedo.Op>, CompletionStage<Void>> step = decidedData;
    return step == null ? ops.runPerPartition(writeOps) : step.apply(writeOps);
  }

  /**
   * Reads what the plan needs from the list of partitions, then builds it with timestamps from the
   * store's clock.
   *
   * @return the write's operations, in the order they are run
   */
  private CompletionStage<List<CassandraRedo.Op>> planOps(List<Mutation> mutations) {
    CassandraWritePlan plan = new CassandraWritePlan(layout, failAt);
    plan.prepare(mutations);
    Set<String> listedAncestors = new HashSet<>();
    return listedUnder(plan.spanning)
        .thenCombine(listed(plan.shallowAncestors, listedAncestors), (under, v) -> under)
        .thenApply(partitionsUnder -> {
          plan.build(mutations, partitionsUnder, listedAncestors, CassandraStore::nextTimestamp);
          return plan.ops();
        });
  }

  /** @return for each path, the listed partition keys under it (its own included) */
  private CompletionStage<Map<Path, List<String>>> listedUnder(Set<Path> paths) {
    Map<Path, List<String>> result = new LinkedHashMap<>();
    CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
    for (Path path : paths) {
      String from = PathEncoding.encode(path);
      List<String> parts = new ArrayList<>();
      result.put(path, parts);
      chain = chain.thenCompose(v -> session.executeAsync(schema.partitions(from,
          PathEncoding.subtreeEnd(from)))).thenCompose(page -> collect(page, parts));
    }
    return chain.thenApply(v -> result);
  }

  /** Adds the listed ones among {@code parts} to {@code into}. */
  private CompletionStage<Void> listed(Set<String> parts, Set<String> into) {
    List<String> all = new ArrayList<>(parts);
    CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
    for (int from = 0; from < all.size(); from += 100) {
      List<String> chunk = all.subList(from, Math.min(all.size(), from + 100));
      chain = chain.thenCompose(v -> session.executeAsync(schema.partitionsIn(chunk)))
          .thenCompose(page -> collect(page, into));
    }
    return chain;
  }

  private static CompletionStage<Void> collect(AsyncResultSet page, Collection<String> into) {
    for (Row row : page.currentPage()) {
      into.add(row.getString(0));
    }
    return page.hasMorePages() ? page.fetchNextPage().thenCompose(next -> collect(next, into))
        : CompletableFuture.completedFuture(null);
  }

  /**
   * @return a client-side timestamp in microseconds, above every one given before in this JVM (also
   *     by other stores, e.g. one reopened on the same tables)
   */
  static long nextTimestamp() {
    Instant now = Instant.now();
    long micros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    return LAST_TIMESTAMP.updateAndGet(last -> Math.max(last + 1, micros));
  }

  /**
   * Makes every later {@link #nextTimestamp()} of this JVM higher than {@code timestamp}: a store
   * taking a fence over raises it above every timestamp the fence's former holder used, so that its
   * writes win over anything that holder still applies late, whatever the two clocks say.
   *
   * @param timestamp microseconds since the epoch
   */
  static void raiseClock(long timestamp) {
    LAST_TIMESTAMP.accumulateAndGet(timestamp, Math::max);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The cursor reads a page of {@value #PAGE_SIZE} rows at a time; it holds no connection and
   * is not a snapshot.
   */
  @Override
  protected Future<LeafCursor> openCursor(ReadRange range) {
    String lower = PathEncoding.lowerBound(range);
    String upper = PathEncoding.upperBound(range);
    if (upper != null && Path.compareKeys(lower, upper) >= 0) {
      return Future.succeededFuture(new CassandraCursor(this, "", null));
    }
    if (layout.spansPartitions(range.base())) {
      return Future.succeededFuture(new CassandraCursor(this, null,
          schema.partitions(lower, upper)));
    }
    String part = layout.partition(range.base());
    // an upper bound outside the partition (the end of the partition's own subtree) bounds nothing
    String to = upper != null && upper.startsWith(part) ? upper.substring(part.length()) : null;
    return Future.succeededFuture(new CassandraCursor(this, part,
        schema.select(part, lower.substring(part.length()), to)));
  }

  /** Closes the driver session; the queued writes were applied before. */
  @Override
  protected Future<Void> free() {
    String action = "closing " + url.describe();
    return Future.fromCompletionStage(session.closeAsync())
        .recover(error -> Future.failedFuture(CassandraErrors.wrap(action, error)));
  }

  /** @return e.g. {@code cassandra://127.0.0.1:9042/kora?table=kora&partitionDepth=1&...} */
  @Override
  public String describe() {
    return url.describe();
  }

  /**
   * Makes every later write of a leaf at {@code marker} fail: its insert gets a clustering key over
   * Cassandra's 64 KiB limit, so the server refuses the whole batch while executing it, after the
   * statements before it. For the conformance suite's failure-injection tests.
   */
  void failWritesAt(Path marker) {
    this.failAt = marker;
  }

  /**
   * Makes every later fenced write, once decided, hand its operations to {@code step} instead of
   * applying them: for the fence tests, a writer that dies or pauses between its lightweight
   * transaction and its data ({@link #applyOps} applies them later, as a late writer would).
   *
   * @param step what happens instead of the data; its failure is the data's; null: apply again
   */
  void replaceDecidedData(Function<List<CassandraRedo.Op>, CompletionStage<Void>> step) {
    this.decidedData = step;
  }

  /** Applies operations as a fenced write does, partition by partition (for the fence tests). */
  CompletionStage<Void> applyOps(List<CassandraRedo.Op> writeOps) {
    return ops.runPerPartition(writeOps);
  }

  // ------------------------------------------------------------------------------------------
  // for the cursor

  CassandraSchema schema() {
    return schema;
  }

  /** Runs a read; fails at once when the store is closed. */
  CompletionStage<AsyncResultSet> execute(BoundStatement statement) {
    if (isClosed()) {
      return CompletableFuture.failedFuture(closedError());
    }
    return session.executeAsync(statement);
  }

  /** @return the stage as a future completing on the caller's context, failures mapped */
  <T> Future<T> onCallerContext(CompletionStage<T> stage, String action) {
    return onContext(vertx().getOrCreateContext(), stage, action + " " + describe());
  }

  private static <T> Future<T> onContext(Context context, CompletionStage<T> stage, String action) {
    return StoreFutures.on(context, Future.fromCompletionStage(stage)
        .recover(error -> Future.failedFuture(CassandraErrors.wrap(action, error))));
  }
}
