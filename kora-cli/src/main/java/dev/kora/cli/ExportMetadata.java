package dev.kora.cli;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;

/**
 * What {@code kora export --out FILE} writes beside the data, in {@code FILE.meta.json}, so that the
 * export file itself stays the plain JSON of the subtree that {@code kora import} reads:
 *
 * <pre>{@code
 * {"format": "kora-export", "at": "cities", "version": 1234567, "source": "ws://127.0.0.1:12000/socket",
 *  "leaves": 1026450, "exportedAtMs": 1765000000000}
 * }</pre>
 *
 * @param at the exported path as {@code kora query} writes it ({@code ""} for the root)
 * @param version the version of the node (or store) the data is exactly as of; null when unknown
 *     (an offline export of a store that never kept versions)
 * @param source where the data came from: the node's URL, or the store's description
 * @param leaves the number of leaves written
 * @param exportedAtMs when the export ended, in ms since the epoch
 */
record ExportMetadata(String at, Long version, String source, long leaves, long exportedAtMs) {

  /** The value of the {@code format} field. */
  static final String FORMAT = "kora-export";

  /**
   * @param exportFile the export's data file
   * @return the metadata file that goes with it: {@code FILE.meta.json}
   */
  static File fileFor(File exportFile) {
    return new File(exportFile.getPath() + ".meta.json");
  }

  /** @return the JSON form shown above */
  JsonObject toJson() {
    return new JsonObject().put("format", FORMAT).put("at", at).put("version", version)
        .put("source", source).put("leaves", leaves).put("exportedAtMs", exportedAtMs);
  }

  /**
   * Writes the metadata of {@code exportFile}.
   *
   * @param exportFile the export's data file
   * @throws IOException when the file cannot be written
   */
  void writeFor(File exportFile) throws IOException {
    Files.writeString(fileFor(exportFile).toPath(), toJson().encodePrettily() + "\n");
  }

  /**
   * Reads the metadata of an export file, if it has any.
   *
   * @param exportFile the export's data file
   * @return the metadata, or null when there is no {@code FILE.meta.json}
   * @throws KoraException {@code invalid_json} when the metadata file is not such a JSON object
   */
  static ExportMetadata readFor(File exportFile) {
    File file = fileFor(exportFile);
    if (!file.isFile()) {
      return null;
    }
    try {
      JsonObject json = new JsonObject(Files.readString(file.toPath()));
      if (!FORMAT.equals(json.getString("format"))) {
        throw new KoraException(ErrorCode.INVALID_JSON, file + " is not the metadata of a kora"
            + " export (its \"format\" is not \"" + FORMAT + "\")");
      }
      return new ExportMetadata(json.getString("at", ""), json.getLong("version"),
          json.getString("source"), json.getLong("leaves", 0L), json.getLong("exportedAtMs", 0L));
    } catch (IOException e) {
      throw new KoraException(ErrorCode.INVALID_MESSAGE, "cannot read " + file + ": "
          + e.getMessage());
    } catch (DecodeException | ClassCastException e) {
      throw new KoraException(ErrorCode.INVALID_JSON, file + " is not the metadata of a kora"
          + " export: " + e.getMessage().lines().findFirst().orElse(""));
    }
  }
}
