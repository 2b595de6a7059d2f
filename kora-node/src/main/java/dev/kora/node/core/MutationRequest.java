package dev.kora.node.core;

import dev.kora.storage.changelog.ChangeLog;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Mutation;
import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * The body of a mutation action as a client sends it: the mutation and, optionally, its id, e.g.
 * {@code {"merge": {"todos": {"t1": {"done": true}}}, "id": "phone-1:17"}}. A mutation whose id was
 * committed before is answered with its first version and not applied again (docs/protocol.md,
 * "Exactly-once writes"). {@code "first": true} next to the id says the client never sent that id
 * before, so the node need not look it up in the store.
 *
 * @param mutation the mutation
 * @param id its id (1 to 128 UTF-8 bytes), or null
 * @param first whether the client says this is the id's first send
 */
public record MutationRequest(Mutation mutation, String id, boolean first) {

  /** The fields of a request body besides the mutation's. */
  private static final Set<String> REQUEST_FIELDS = Set.of("id", "first");

  /**
   * @param body the action's body
   * @return the request
   * @throws KoraException {@code invalid_mutation} when the body is missing or not an object, or
   *     its id is not a string of 1 to 128 UTF-8 bytes; the codes of {@link Mutation#fromJson}
   */
  public static MutationRequest fromBody(Object body) {
    if (!(body instanceof JsonObject json)) {
      throw new KoraException(ErrorCode.INVALID_MUTATION, body == null
          ? "a mutation needs a body: {\"merge\": {...}, \"delete\": {...}}"
          : "the body of a mutation must be a JSON object");
    }
    if (!json.containsKey("id")) {
      if (json.containsKey("first")) {
        throw new KoraException(ErrorCode.INVALID_MUTATION, "'first' goes with an 'id'");
      }
      return new MutationRequest(Mutation.fromJson(json), null, false);
    }
    String id = ChangeLog.checkId(json.getValue("id"));
    Object first = json.getValue("first");
    if (first != null && !(first instanceof Boolean)) {
      throw new KoraException(ErrorCode.INVALID_MUTATION, "'first' must be true or false");
    }
    return new MutationRequest(Mutation.fromJson(json, REQUEST_FIELDS), id,
        Boolean.TRUE.equals(first));
  }
}
