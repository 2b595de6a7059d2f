package dev.kora.node.impl.socket;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpServerCodec;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Vert.x internals {@link VertxInternals} relies on still hold: an upgrade of Vert.x that breaks
 * them fails here, naming what changed, before the WebSocket endpoint breaks in subtler ways.
 */
@ExtendWith(VertxExtension.class)
class VertxInternalsTest {

  @Test
  void anHttp1RequestExposesItsConnectionsNettyHandlerInAnHttpPipeline(Vertx vertx,
      VertxTestContext test) {
    Promise<Void> checked = Promise.promise();
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1")
        .setPort(0).setStrictThreadMode(true)).requestHandler(request -> {
          try {
            assertTrue(VertxInternals.isHttp1(request), "an HTTP/1.1 request is seen as HTTP/1");
            ChannelHandlerContext handler = VertxInternals.channelHandlerContext(request);
            assertNotNull(handler, "the connection's Netty handler context");
            assertSame(handler, handler.pipeline().context(handler.handler()),
                "the context belongs to the connection's pipeline");
            assertTrue(handler.pipeline().get(HttpServerCodec.class) != null
                    || handler.pipeline().get(HttpRequestDecoder.class) != null,
                "Netty's WebSocket handshaker needs an HTTP decoder in the pipeline: "
                    + handler.pipeline().names());
            assertTrue(handler.channel().eventLoop().inEventLoop(),
                "requests are handled on the connection's event loop");
            checked.complete();
          } catch (Throwable e) {
            checked.tryFail(e);
          }
          request.response().end();
        });
    // Held until the end: Vert.x closes an HTTP client, and its connections, once unreachable.
    HttpClient http = vertx.createHttpClient(new HttpClientOptions()
        .setProtocolVersion(HttpVersion.HTTP_1_1));
    server.listen()
        .compose(s -> http.request(HttpMethod.GET, s.actualPort(), "127.0.0.1", "/")
            .compose(request -> request.send()))
        .compose(response -> checked.future())
        .eventually(http::close)
        .onComplete(test.succeedingThenComplete());
  }

  /**
   * HttpFront counts connections and starts the request head timeout in the connection handler, and
   * adds its handler after {@code httpEncoder}: with cleartext HTTP/2 off, Vert.x must call it as
   * soon as a connection is accepted, before the client sends anything.
   */
  @Test
  void anHttp1ConnectionIsHandedOverWhenAcceptedBeforeItSendsAnything(Vertx vertx)
      throws Exception {
    Promise<List<String>> pipeline = Promise.promise();
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1")
        .setPort(0).setStrictThreadMode(true).setHttp2ClearTextEnabled(false))
        .connectionHandler(connection -> {
          ChannelHandlerContext handler = VertxInternals.channelHandlerContext(connection);
          pipeline.tryComplete(handler == null ? List.of() : handler.pipeline().names());
        })
        .requestHandler(request -> request.response().end());
    int port = server.listen().await().actualPort();
    try (Socket silent = new Socket("127.0.0.1", port)) {
      List<String> names = pipeline.future().await(5, TimeUnit.SECONDS);
      assertTrue(names.contains("httpDecoder") && names.contains("httpEncoder")
          && names.contains("handler"), "Vert.x's HTTP/1 pipeline: " + names);
    }
  }

  @Test
  void aContextExposesItsNettyEventLoop(Vertx vertx, VertxTestContext test) {
    Context context = vertx.getOrCreateContext();
    context.runOnContext(v -> test.verify(() -> {
      EventLoop loop = VertxInternals.eventLoop(context);
      assertNotNull(loop);
      assertTrue(loop.inEventLoop(), "the context's thread is its Netty event loop");
      test.completeNow();
    }));
  }
}
