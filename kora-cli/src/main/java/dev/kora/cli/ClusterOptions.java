package dev.kora.cli;

import dev.kora.cli.cluster.ClusterMember;
import dev.kora.cli.cluster.ClusterSettings;
import dev.kora.node.KoraNodeOptions;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.StoreProvider;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The cluster options of {@code kora serve} ({@code --cluster}, {@code --join}, ...) and the
 * {@code "cluster"} object of {@code --config}, which they override field by field:
 *
 * <pre>{@code
 * "cluster": {"name": "kora", "host": "10.0.0.5", "port": 5701, "busPort": 6701,
 *             "join": ["10.0.0.5:5701", "10.0.0.6:5701", "10.0.0.7:5701"], "size": 3}
 * }</pre>
 *
 * A {@code "cluster"} object, even empty, makes the node a cluster member as {@code --cluster}
 * does; every field is optional ({@link ClusterSettings} has the defaults). The node option
 * {@code clusterSize} of the file's top level is the cluster's size too when {@code cluster.size}
 * is absent. docs/operations.md, "Running a cluster", describes them.
 */
final class ClusterOptions {

  /** The keys of the {@code "cluster"} object of {@code --config}. */
  private static final Set<String> FILE_KEYS = Set.of("name", "host", "port", "busPort", "join",
      "size");
  /** Why each store that cannot serve a cluster cannot, by driver name. */
  private static final Map<String, String> REFUSED_STORES = Map.of(
      "sqlite", "a cluster needs a store that several nodes share: postgres, mysql or cassandra;"
          + " sqlite is one file of one node",
      "memory", "a cluster needs a store that several nodes share: postgres, mysql or cassandra;"
          + " memory is the memory of one node");

  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(names = "--cluster",
      description = "Run as one node of a cluster sharing the store (postgres, mysql or"
          + " cassandra); its"
          + " members find each other over TCP/IP (Hazelcast). See docs/operations.md.")
  boolean cluster;

  @Option(names = "--cluster-name", paramLabel = "NAME",
      description = "The cluster's name; nodes of another name do not join (default: "
          + ClusterSettings.DEFAULT_NAME + ").")
  String name;

  @Option(names = "--cluster-host", paramLabel = "HOST",
      description = "This machine's address that the other members reach; Hazelcast and the event"
          + " bus listen on it (default: " + ClusterSettings.DEFAULT_HOST + "). Their traffic is"
          + " neither authenticated nor encrypted: keep it on a private network.")
  String host;

  @Option(names = "--cluster-port", paramLabel = "PORT",
      description = "Hazelcast's port (default: " + ClusterSettings.DEFAULT_PORT + ").")
  Integer port;

  @Option(names = "--bus-port", paramLabel = "PORT",
      description = "The clustered event bus's port (default: the cluster port + "
          + ClusterSettings.BUS_PORT_OFFSET + ").")
  Integer busPort;

  @Option(names = "--join", paramLabel = "HOST:PORT", split = ",",
      description = "The members to join, comma-separated, e.g. 10.0.0.5:5701,10.0.0.6:5701"
          + " (this node may be among them).")
  List<String> join;

  @Option(names = "--cluster-size", paramLabel = "N",
      description = "How many nodes the cluster has, which sets its quorum (default: the distinct"
          + " members of --join, this node included).")
  Integer size;

  /**
   * Reads the cluster settings, if this node is to be a cluster member, and makes the node's
   * options say so ({@link KoraNodeOptions#setClusterSize}). Nothing is started.
   *
   * @param options the node's options, read from {@code --config} and the other options
   * @param file the content of {@code --config}, {@code {}} without one
   * @param fileName how to name the file in messages, e.g. {@code --config node.json}
   * @return the settings, or null for a node alone
   * @throws CommandLine.ParameterException (exit status 2) for an option that needs
   *     {@code --cluster} without it, or a {@code --join} entry that is not {@code HOST:PORT}
   * @throws KoraException {@code invalid_message} (exit status 1) for a bad {@code "cluster"}
   *     object, settings {@link ClusterSettings#of} refuses, a {@code clusterSize} without a
   *     cluster, or a store that cannot serve a cluster (SQLite, memory)
   */
  ClusterSettings applyTo(KoraNodeOptions options, JsonObject file, String fileName) {
    Object fileCluster = file.getValue("cluster");
    if (fileCluster != null && !(fileCluster instanceof JsonObject)) {
      throw new KoraException(ErrorCode.INVALID_MESSAGE, fileName + ": \"cluster\" must be an"
          + " object, e.g. {\"join\": [\"10.0.0.5:5701\"]}");
    }
    if (!cluster && fileCluster == null) {
      refuseWithoutCluster(options);
      return null;
    }
    ClusterSettings settings = settings((JsonObject) fileCluster, fileName,
        options.getClusterSize() == 0 ? null : options.getClusterSize());
    refuseUnsharedStore(options.getStore());
    options.setClusterSize(settings.size());
    return settings;
  }

  private void refuseWithoutCluster(KoraNodeOptions options) {
    List<String> given = new ArrayList<>();
    for (String option : List.of("--cluster-name", "--cluster-host", "--cluster-port",
        "--bus-port", "--join", "--cluster-size")) {
      if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
        given.add(option);
      }
    }
    if (!given.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(), String.join(", ", given)
          + (given.size() == 1 ? " needs" : " need") + " --cluster (or a \"cluster\" object in"
          + " --config)");
    }
    if (options.getClusterSize() != 0) {
      throw new KoraException(ErrorCode.INVALID_MESSAGE, "clusterSize " + options.getClusterSize()
          + " needs a cluster: add --cluster (or a \"cluster\" object in --config)");
    }
  }

  private ClusterSettings settings(JsonObject file, String fileName, Integer fileClusterSize) {
    JsonObject fromFile = file == null ? new JsonObject() : file;
    String fileLabel = fileName + ": cluster";
    for (String key : fromFile.fieldNames()) {
      if (!FILE_KEYS.contains(key)) {
        throw new KoraException(ErrorCode.INVALID_MESSAGE, fileLabel + " has an unknown key '"
            + key + "'; known: " + FILE_KEYS);
      }
    }
    List<ClusterMember> members = new ArrayList<>();
    if (join != null) {
      for (String member : join) {
        try {
          members.add(ClusterMember.parse(member));
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--join: "
              + e.getMessage());
        }
      }
    } else {
      members.addAll(fileMembers(fromFile, fileLabel));
    }
    Integer clusterSize = size != null ? size : fileSize(fromFile, fileLabel, fileClusterSize);
    try {
      return ClusterSettings.of(name != null ? name : fileValue(fromFile, "name", String.class,
              fileLabel),
          host != null ? host : fileValue(fromFile, "host", String.class, fileLabel),
          port != null ? port : fileValue(fromFile, "port", Integer.class, fileLabel),
          busPort != null ? busPort : fileValue(fromFile, "busPort", Integer.class, fileLabel),
          members, clusterSize);
    } catch (IllegalArgumentException e) {
      throw new KoraException(ErrorCode.INVALID_MESSAGE, e.getMessage());
    }
  }

  private static List<ClusterMember> fileMembers(JsonObject file, String label) {
    JsonArray entries = fileValue(file, "join", JsonArray.class, label);
    List<ClusterMember> members = new ArrayList<>();
    for (int i = 0; entries != null && i < entries.size(); i++) {
      Object entry = entries.getValue(i);
      try {
        if (!(entry instanceof String text)) {
          throw new IllegalArgumentException("not a string: " + entry);
        }
        members.add(ClusterMember.parse(text));
      } catch (IllegalArgumentException e) {
        throw new KoraException(ErrorCode.INVALID_MESSAGE, label + ".join[" + i + "]: "
            + e.getMessage());
      }
    }
    return members;
  }

  private static Integer fileSize(JsonObject file, String label, Integer topLevelSize) {
    Integer clusterSize = fileValue(file, "size", Integer.class, label);
    if (clusterSize != null && topLevelSize != null && !clusterSize.equals(topLevelSize)) {
      throw new KoraException(ErrorCode.INVALID_MESSAGE, label + ".size " + clusterSize
          + " and clusterSize " + topLevelSize + " differ: give one");
    }
    return clusterSize != null ? clusterSize : topLevelSize;
  }

  private static <T> T fileValue(JsonObject file, String key, Class<T> type, String label) {
    Object value = file.getValue(key);
    if (value != null && !type.isInstance(value)) {
      throw new KoraException(ErrorCode.INVALID_MESSAGE, label + "." + key + " must be "
          + (type == JsonArray.class ? "an array" : type == String.class ? "a string"
          : "an integer") + ", got " + value);
    }
    return type.cast(value);
  }

  private static void refuseUnsharedStore(StoreOptions store) {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    for (StoreProvider provider : ServiceLoader.load(StoreProvider.class,
        loader == null ? ClusterOptions.class.getClassLoader() : loader)) {
      if (provider.accepts(store) && REFUSED_STORES.containsKey(provider.name())) {
        throw new KoraException(ErrorCode.INVALID_MESSAGE, REFUSED_STORES.get(provider.name()));
      }
    }
  }
}
