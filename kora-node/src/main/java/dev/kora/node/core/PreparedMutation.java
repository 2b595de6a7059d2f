package dev.kora.node.core;

import dev.kora.tree.KoraException;

/**
 * The body of a mutation action ({@code kora.mutation}, {@code riptide.mutation}) whose frame was
 * large enough to be parsed on a worker thread ({@link RequestParsing#decodeRequest}): the mutation
 * already built and checked there, or the reason it was refused, to be answered under the call's
 * key. Transports pass it to {@link NodeCore#call} in place of the JSON body.
 *
 * @param request the mutation and its id, or null when refused
 * @param refusal why the body is not a mutation a client may write, or null
 */
public record PreparedMutation(MutationRequest request, KoraException refusal) {

  /**
   * @return the mutation and its id
   * @throws KoraException the refusal, when the body was refused
   */
  public MutationRequest get() {
    if (refusal != null) {
      throw refusal;
    }
    return request;
  }
}
