package dev.kora.storage;

/**
 * One row of a store: a leaf's path and its JSON text, e.g. {@code todos/t1/title = "\"milk\""}.
 *
 * @param path the leaf's full path from the root
 * @param valueJson the leaf as JSON text (see {@link dev.kora.tree.LeafCodec})
 */
public record StoredLeaf(dev.kora.tree.Path path, String valueJson) {
}
