package dev.kora.tree;

/**
 * The stable error codes Kora answers with. Clients match on these strings; they never change meaning.
 * The list and the situations that produce each code are documented in {@code docs/protocol.md}.
 */
public final class ErrorCode {

  /** A frame that is not valid JSON text. */
  public static final String INVALID_JSON = "invalid_json";
  /** A JSON frame without the expected shape ({@code type}, {@code key}, {@code action}, {@code body}). */
  public static final String INVALID_MESSAGE = "invalid_message";
  /** A call or cast whose action no one handles. */
  public static final String UNKNOWN_ACTION = "unknown_action";
  /** A key that breaks the key rules of {@link Path}: empty, too long, a control character or {@code /}. */
  public static final String INVALID_KEY = "invalid_key";
  /** A path deeper than {@link Path#MAX_DEPTH} keys. */
  public static final String TOO_DEEP = "too_deep";
  /** A frame, body or value larger than the configured limit. */
  public static final String TOO_LARGE = "too_large";
  /** A mutation whose shape is wrong, e.g. a delete leaf other than {@code 1}. */
  public static final String INVALID_MUTATION = "invalid_mutation";
  /** A query whose shape is wrong, e.g. an unknown option or a negative limit. */
  public static final String INVALID_QUERY = "invalid_query";
  /** A request refused by an interceptor or by the rules on reserved paths. */
  public static final String DENIED = "denied";
  /** An interceptor threw or failed instead of answering. */
  public static final String INTERCEPTOR_FAILED = "interceptor_failed";
  /** The store could not be reached or did not answer in time; nothing was written. */
  public static final String STORE_UNAVAILABLE = "store_unavailable";
  /** A client IP address already holds as many connections as the node allows one address. */
  public static final String TOO_MANY_CONNECTIONS = "too_many_connections";
  /**
   * A client connection already has the most reads (queries, subscribes) in progress that the node
   * allows it; the request was not run. Retry once an earlier read has answered.
   */
  public static final String TOO_MANY_READS = "too_many_reads";
  /** The node is shutting down and takes no more requests. */
  public static final String CLOSED = "closed";
  /** An unexpected failure inside the node; the message says more. Nothing was written. */
  public static final String INTERNAL = "internal";
  /** An HTTP request for a resource the node does not serve (REST answers it with status 404). */
  public static final String NOT_FOUND = "not_found";
  /** An HTTP method a resource does not take, e.g. {@code POST /tree} (REST: status 405). */
  public static final String METHOD_NOT_ALLOWED = "method_not_allowed";
  /**
   * A request without a credential where the node requires one, or with a token that does not verify:
   * a bad signature, an unknown key, {@code alg: none}, the wrong issuer or audience, not yet valid,
   * or malformed (REST and the WebSocket handshake: status 401).
   */
  public static final String UNAUTHENTICATED = "unauthenticated";
  /**
   * A token whose {@code exp} has passed; a fresh token is needed (status 401). A connection whose
   * token expires while it is open is closed with WebSocket status 4001.
   */
  public static final String TOKEN_EXPIRED = "token_expired";
  /**
   * A client over the node's rate limits (mutations or bytes per second, of its connection or its
   * address); nothing of the request ran (status 429). A connection refused many times in a row is
   * closed (WebSocket status 1008).
   */
  public static final String RATE_LIMITED = "rate_limited";
  /**
   * A store's fence did not hold: another writer took the store over (in a cluster, a newer leader
   * took the fence row, docs/cluster.md), so this write transaction was rolled back and wrote nothing.
   */
  public static final String FENCED = "fenced";
  /**
   * A clustered node cannot have the write ordered now: no leader is reachable, this node is cut off
   * from a majority of the cluster, or leadership is changing (HTTP status 503). When the message says
   * the write was sent to the leader but no answer came, its outcome is unknown: resend it with the
   * same id (exactly once) to this or another node.
   */
  public static final String CLUSTER_UNAVAILABLE = "cluster_unavailable";

  private ErrorCode() {
  }
}
