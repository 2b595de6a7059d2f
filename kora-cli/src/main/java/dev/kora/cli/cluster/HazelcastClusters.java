package dev.kora.cli.cluster;

import com.hazelcast.cluster.InitialMembershipEvent;
import com.hazelcast.cluster.InitialMembershipListener;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Builds a clustered Vert.x instance on Hazelcast ({@code io.vertx:vertx-hazelcast}) from
 * {@link ClusterSettings}: Hazelcast is configured here in code, never from a {@code hazelcast.xml}
 * or {@code cluster.xml} file, and Vert.x's clustered event bus listens on the cluster host.
 *
 * <p>Hazelcast's settings ({@link #config}): the cluster's name; members found over TCP/IP only, from
 * the settings' join list (multicast and auto-detection off); the member's address is the cluster
 * host and port, nothing else is tried (port auto-increment off, no wildcard bind); a member that
 * sends no heartbeat for {@value #MAX_NO_HEARTBEAT_SECONDS} s is removed (heartbeats every
 * {@value #HEARTBEAT_INTERVAL_SECONDS} s; Hazelcast's defaults are 60 and 5); the oldest member lets
 * members in after gathering join requests for {@value #JOIN_WAIT_SECONDS} s; no shutdown hook of
 * Hazelcast's own (Vert.x leaves the cluster when it closes); logs through java.util.logging, its own
 * lines at {@code WARNING} and above only; no phone-home. After a network partition heals, the
 * members of the smaller side merge back into the larger within about
 * {@value #MERGE_DELAY_SECONDS} s (Hazelcast looks for another side {@value #MERGE_DELAY_SECONDS} s
 * after start and then every {@value #MERGE_DELAY_SECONDS} s; its defaults, 300 and 120, would leave
 * a healed member out of the cluster, refusing writes, for minutes).
 *
 * <p>The members are logged at {@code INFO} once the node joined and at every change:
 * {@code cluster 'kora': 127.0.0.1:5702 joined; 2 members of 3 configured [127.0.0.1:5701 (this node),
 * 127.0.0.1:5702]}.
 */
public final class HazelcastClusters {

  /** Hazelcast's heartbeat period, s ({@code hazelcast.heartbeat.interval.seconds}). */
  public static final int HEARTBEAT_INTERVAL_SECONDS = 1;
  /**
   * How long a member may send no heartbeat before it is removed from the cluster, s
   * ({@code hazelcast.max.no.heartbeat.seconds}).
   */
  public static final int MAX_NO_HEARTBEAT_SECONDS = 5;

  /**
   * How long the oldest member waits for more members asking to join before it lets one in, s
   * ({@code hazelcast.wait.seconds.before.join}; Hazelcast's default, 5, batches the joins of large
   * clusters, whose data must move; a Kora cluster is small and holds no data in Hazelcast).
   */
  public static final int JOIN_WAIT_SECONDS = 1;

  /**
   * How soon after start, and how often, a member looks for another side of a split cluster to
   * merge with, s ({@code hazelcast.merge.first.run.delay.seconds} and
   * {@code hazelcast.merge.next.run.delay.seconds}).
   */
  public static final int MERGE_DELAY_SECONDS = 5;

  private static final System.Logger LOG = System.getLogger(HazelcastClusters.class.getName());
  /**
   * Hazelcast's own lines (its banner, each step of joining) at {@code WARNING} and above only; held
   * strongly, as java.util.logging keeps loggers weakly.
   */
  private static final java.util.logging.Logger QUIET_HAZELCAST =
      java.util.logging.Logger.getLogger("com.hazelcast");

  private HazelcastClusters() {
  }

  /**
   * Starts Hazelcast with {@link #config}, joins the cluster and builds a Vert.x instance on it,
   * with its event bus on the cluster host and the bus port. Logs a warning first when the cluster
   * host is not loopback (nothing authenticates or encrypts the cluster's traffic).
   *
   * @param settings where to listen and whom to join
   * @param options the Vert.x options to start from (not changed), e.g. {@code NodeVertx.options()}
   * @return the clustered Vert.x instance; fails with {@code cluster_unavailable} when Hazelcast or
   *     the event bus cannot listen (e.g. a port in use)
   */
  public static Future<Vertx> start(ClusterSettings settings, VertxOptions options) {
    QUIET_HAZELCAST.setLevel(java.util.logging.Level.WARNING);
    if (!settings.loopback()) {
      LOG.log(System.Logger.Level.WARNING, "cluster '" + settings.name() + "': Hazelcast on port "
          + settings.port() + " and the event bus on port " + settings.busPort() + " of "
          + settings.address().getHostAddress() + " are neither authenticated nor encrypted:"
          + " only the cluster's nodes may reach them (a private network or a firewall)");
    }
    LOG.log(System.Logger.Level.INFO, "joining " + settings);
    VertxOptions clustered = new VertxOptions(options);
    clustered.getEventBusOptions().setHost(settings.address().getHostAddress())
        .setPort(settings.busPort());
    HazelcastClusterManager manager = new HazelcastClusterManager(config(settings));
    return Vertx.builder().with(clustered).withClusterManager(manager).buildClustered()
        .recover(failure -> Future.failedFuture(new KoraException(ErrorCode.CLUSTER_UNAVAILABLE,
            "cannot start this cluster member on " + new ClusterMember(
                settings.address().getHostAddress(), settings.port()) + " (event bus port "
                + settings.busPort() + "): " + failure.getMessage(), failure)))
        .onSuccess(vertx -> manager.getHazelcastInstance().getCluster()
            .addMembershipListener(new MembershipLog(settings)));
  }

  /**
   * @param settings where to listen and whom to join
   * @return Hazelcast's configuration of a member with these settings, with the maps Vert.x's
   *     cluster manager documents as required
   */
  public static Config config(ClusterSettings settings) {
    Config config = new Config();
    config.setClusterName(settings.name());
    config.setProperty("hazelcast.logging.type", "jdk");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.setProperty("hazelcast.heartbeat.interval.seconds",
        String.valueOf(HEARTBEAT_INTERVAL_SECONDS));
    config.setProperty("hazelcast.max.no.heartbeat.seconds",
        String.valueOf(MAX_NO_HEARTBEAT_SECONDS));
    config.setProperty("hazelcast.wait.seconds.before.join", String.valueOf(JOIN_WAIT_SECONDS));
    config.setProperty("hazelcast.merge.first.run.delay.seconds",
        String.valueOf(MERGE_DELAY_SECONDS));
    config.setProperty("hazelcast.merge.next.run.delay.seconds",
        String.valueOf(MERGE_DELAY_SECONDS));
    config.setProperty("hazelcast.socket.bind.any", "false");
    NetworkConfig network = config.getNetworkConfig();
    network.setPort(settings.port()).setPortAutoIncrement(false);
    network.getInterfaces().setEnabled(true).addInterface(settings.address().getHostAddress());
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    List<String> members = new ArrayList<>();
    settings.join().forEach(member -> members.add(member.toString()));
    join.getTcpIpConfig().setEnabled(true).setMembers(members);
    // vertx-hazelcast's documented minimal configuration ("Using an existing Hazelcast cluster")
    config.getMultiMapConfig("__vertx.subs").setBackupCount(1)
        .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET);
    config.getMapConfig("__vertx.haInfo").setBackupCount(1);
    config.getMapConfig("__vertx.nodeInfo").setBackupCount(1);
    return config;
  }

  /** Logs the members when the node joined and at every change. */
  private static final class MembershipLog implements InitialMembershipListener {

    private final ClusterSettings settings;

    MembershipLog(ClusterSettings settings) {
      this.settings = settings;
    }

    @Override
    public void init(InitialMembershipEvent event) {
      log("joined", event.getMembers());
    }

    @Override
    public void memberAdded(MembershipEvent event) {
      log(describe(event.getMember()) + " joined", event.getMembers());
    }

    @Override
    public void memberRemoved(MembershipEvent event) {
      log(describe(event.getMember()) + " left", event.getMembers());
    }

    private void log(String change, Collection<Member> members) {
      List<String> described = new ArrayList<>();
      members.forEach(member -> described.add(describe(member)));
      LOG.log(System.Logger.Level.INFO, "cluster '" + settings.name() + "': " + change + "; "
          + members.size() + " members of " + settings.size() + " configured " + described);
    }

    private static String describe(Member member) {
      String address = new ClusterMember(member.getAddress().getHost(),
          member.getAddress().getPort()).toString();
      return member.localMember() ? address + " (this node)" : address;
    }
  }
}
