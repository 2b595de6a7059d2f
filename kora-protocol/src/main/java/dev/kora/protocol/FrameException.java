package dev.kora.protocol;

import dev.kora.tree.KoraException;

/**
 * A frame that could not be read as a request, with the key to answer it under (null when the key
 * could not be found or the frame was a cast): {@link FrameCodec#decodeRequest} throws it, and the
 * transport answers {@code {"type":"error","key":K,"body":{"code":C,"message":M}}}.
 */
public final class FrameException extends KoraException {

  private static final long serialVersionUID = 1L;

  private final transient Object key;

  /**
   * @param key the key to answer under, or null
   * @param code the error code, e.g. {@code invalid_json}
   * @param message for humans
   */
  public FrameException(Object key, String code, String message) {
    super(code, message);
    this.key = key;
  }

  /** @return the key to answer under, or null */
  public Object key() {
    return key;
  }

  /** @return the error frame answering it */
  public Frame.Error toFrame() {
    return new Frame.Error(key, code(), getMessage());
  }
}
