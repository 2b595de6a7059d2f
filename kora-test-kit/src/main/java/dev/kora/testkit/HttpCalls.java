package dev.kora.testkit;

import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;

/**
 * Plain HTTP requests of tests to a node on loopback, each waited for (at most 20 s). Holds its
 * Vert.x HTTP client: Vert.x closes a client, and its connections, once it becomes unreachable.
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

  /**
   * @param client the client to send with
   * @param port the node's port on 127.0.0.1
   */
  public HttpCalls(HttpClient client, int port) {
    this.client = client;
    this.port = port;
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
   * @param request the request, host and port set
   * @param body the request body, or null for none
   * @return the answer
   */
  public Answer send(RequestOptions request, String body) {
    return client.request(request).compose(r -> body == null ? r.send() : r.send(body))
        .compose(response -> response.body().map(text -> new Answer(response.statusCode(),
            response.getHeader("WWW-Authenticate"), text.toString())))
        .toCompletionStage().toCompletableFuture().orTimeout(20, TimeUnit.SECONDS).join();
  }
}
