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
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
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
    server.listen()
        .compose(s -> vertx.createHttpClient(new HttpClientOptions()
            .setProtocolVersion(HttpVersion.HTTP_1_1))
            .request(HttpMethod.GET, s.actualPort(), "127.0.0.1", "/")
            .compose(request -> request.send()))
        .compose(response -> checked.future())
        .onComplete(test.succeedingThenComplete());
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
