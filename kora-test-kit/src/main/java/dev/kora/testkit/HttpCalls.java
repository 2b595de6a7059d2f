package dev.kora.testkit;

import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;

/**
 * Plain HTTP requests of tests to a node on loopback, each waited for (at most 20 s). Holds its
 * Vert.x HTTP client: Vert.x closes a client, and its connections, once it becomes unreachable.
 * Requests are made on one Vert.x context, not on the test's thread: requests of Vert.x 5.0.5's
 * HttpClient made from a thread outside Vert.x were seen, about once in 500 to 800, never to open a
 * connection nor to time out (kora-auth's JwtAuthenticatorTest and the console's test met it).
 */
public final class HttpCalls {

  /**
   * What a request got back.
   *
   * @param status the HTTP status, e.g. 200
   * @param challenge the {@code WWW-Authenticate} header, or null
   * @param body the whole body as text
   */
  public record Answer(int status, String challenge, String body) {
    /** @return the body as a JSON object */
    public JsonObject json() {
      return new JsonObject(body);
    }
  }

  private final HttpClient client;
  private final int port;
  private final Context context;

  /**
   * @param vertx the Vert.x instance of {@code client}
   * @param client the client to send with
   * @param port the node's port on 127.0.0.1
   */
  public HttpCalls(Vertx vertx, HttpClient client, int port) {
    this.client = client;
    this.port = port;
    this.context = vertx.getOrCreateContext();
  }

  /**
   * @param uri e.g. {@code /tree/a}
   * @param authorization the {@code Authorization} header, e.g. {@code Bearer eyJ...}, or null
   * @return the answer
   */
  public Answer get(String uri, String authorization) {
    return send(HttpMethod.GET, uri, authorization, null);
  }

  /**
   * @param method e.g. {@link HttpMethod#PUT}
   * @param uri e.g. {@code /tree/a}
   * @param authorization the {@code Authorization} header, or null
   * @param body the request body, or null for none
   * @return the answer
   */
  public Answer send(HttpMethod method, String uri, String authorization, String body) {
    RequestOptions request = new RequestOptions().setMethod(method).setHost("127.0.0.1")
        .setPort(port).setURI(uri);
    if (authorization != null) {
      request.putHeader("Authorization", authorization);
    }
    return send(request, body);
  }

  /**
   * Opens a server-sent event stream.
   *
   * @param vertx the Vert.x instance, for the stream's timers
   * @param uri e.g. {@code /tree/a?access_token=...}
   * @param timeoutMs how long {@link EventStream#next} waits for an event, ms
   * @return the stream, its response status 200
   * @throws IllegalStateException when the node answers another status
   */
  public EventStream events(Vertx vertx, String uri, long timeoutMs) {
    Promise<EventStream> opened = Promise.promise();
    context.runOnContext(v -> client.request(new RequestOptions().setHost("127.0.0.1")
            .setPort(port).setURI(uri).putHeader("Accept", "text/event-stream"))
        .compose(request -> request.send())
        .map(response -> {
          if (response.statusCode() != 200) {
            throw new IllegalStateException("event stream " + uri + " answered "
                + response.statusCode());
          }
          return new EventStream(vertx, response, timeoutMs);
        }).onComplete(opened));
    return opened.future().toCompletionStage().toCompletableFuture()
        .orTimeout(20, TimeUnit.SECONDS).join();
  }

  /**
   * @param request the request, host and port set
   * @param body the request body, or null for none
   * @return the answer
   */
  public Answer send(RequestOptions request, String body) {
    Promise<Answer> answer = Promise.promise();
    context.runOnContext(v -> client.request(request)
        .compose(r -> body == null ? r.send() : r.send(body))
        .compose(response -> response.body().map(text -> new Answer(response.statusCode(),
            response.getHeader("WWW-Authenticate"), text.toString())))
        .onComplete(answer));
    return answer.future().toCompletionStage().toCompletableFuture()
        .orTimeout(20, TimeUnit.SECONDS).join();
  }
}
