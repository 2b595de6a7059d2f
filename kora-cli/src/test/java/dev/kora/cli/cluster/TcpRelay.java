package dev.kora.cli.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

/**
 * Forwards TCP connections from an address of the test's (e.g. its address on a bridge to network
 * namespaces) to a server listening on loopback only (the database), byte for byte, both ways: the
 * hosts in the namespaces reach the database through it. Vert.x's pipes carry back-pressure; a close
 * on either side closes the other.
 */
final class TcpRelay {

  private final NetServer server;
  private final NetClient client;

  private TcpRelay(NetServer server, NetClient client) {
    this.server = server;
    this.client = client;
  }

  /**
   * @param vertx the test's Vert.x instance
   * @param host where to listen
   * @param targetHost where to connect, e.g. {@code 127.0.0.1}
   * @param targetPort the target's port, e.g. 5432
   * @return the relay, listening on a free port ({@link #port()})
   */
  static Future<TcpRelay> start(Vertx vertx, String host, String targetHost, int targetPort) {
    NetClient client = vertx.createNetClient();
    NetServer server = vertx.createNetServer();
    server.connectHandler(incoming -> {
      incoming.pause();
      client.connect(targetPort, targetHost).onComplete(connected -> {
        if (connected.failed()) {
          incoming.close();
          return;
        }
        NetSocket outgoing = connected.result();
        incoming.pipeTo(outgoing);
        outgoing.pipeTo(incoming);
        incoming.resume();
      });
    });
    return server.listen(0, host).map(listening -> new TcpRelay(server, client));
  }

  /** @return the port it listens on */
  int port() {
    return server.actualPort();
  }

  Future<Void> close() {
    return Future.join(server.close(), client.close()).mapEmpty();
  }
}
