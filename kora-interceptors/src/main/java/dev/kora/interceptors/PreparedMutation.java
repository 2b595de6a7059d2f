package dev.kora.interceptors;

import dev.kora.tree.Mutation;
import java.util.List;

/**
 * A mutation after {@code validateMutation} and {@code beforeMutation}, with the effects decided for it.
 *
 * @param mutation the original combined with every addition
 * @param effects jobs to store with the write and run after it
 */
public record PreparedMutation(Mutation mutation, List<Effect> effects) {
}
