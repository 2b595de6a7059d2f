package dev.kora.examples.cities;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.kora.cli.KoraCommand;
import dev.kora.node.KoraNode;
import dev.kora.node.KoraNodeOptions;
import dev.kora.storage.StoreOptions;
import dev.kora.storage.TreeReader;
import dev.kora.testkit.ChildJvm;
import dev.kora.testkit.TestSocket;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.Mutation;
import dev.kora.tree.Path;
import dev.kora.tree.Query;
import dev.kora.tree.QueryOptions;
import dev.kora.tree.Tree;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The city index on real data (GeoNames, CC BY 4.0, https://www.geonames.org; see
 * {@code src/test/resources/NOTICE}): imported through {@code kora import ... --index --lib DIR} in a
 * child JVM that finds {@link CityIndexPlugin} only in a jar of DIR, and through the embedded API;
 * then clients over a WebSocket rename, move, create and delete cities and read the index and the
 * virtual {@code country:stats/<code>}.
 *
 * <p>The input is about 2,000 cities (every 85th) of {@code ../shared/data/cities.json} when that file
 * is there, else the committed slice {@code cities-slice.json} (301 cities, every 570th).
 */
@ExtendWith(VertxExtension.class)
class CityIndexTest {

  private static final Path CITIES = Path.of("cities");
  private static final Path INDEX = Path.of("country:cities");

  /** The cities as imported with --index: key = zero-padded position. */
  private static JsonObject cities;
  /** The file the import reads. */
  private static java.nio.file.Path input;

  @TempDir
  java.nio.file.Path tmp;

  private ChildJvm child;

  @BeforeAll
  static void loadCities(@TempDir java.nio.file.Path dir) throws IOException,
      URISyntaxException {
    java.nio.file.Path shared = Stream.of("../shared/data/cities.json",
            "../../shared/data/cities.json")
        .map(java.nio.file.Path::of).filter(Files::isRegularFile).findFirst().orElse(null);
    JsonArray list;
    if (shared != null) {
      list = everyNth(shared, 85);
      input = dir.resolve("cities-sample.json");
      Files.writeString(input, list.encode());
    } else {
      input = java.nio.file.Path.of(CityIndexTest.class.getResource("/cities-slice.json").toURI());
      list = new JsonArray(Files.readString(input));
    }
    cities = new JsonObject();
    int width = String.valueOf(list.size() - 1).length();
    for (int i = 0; i < list.size(); i++) {
      String key = "0".repeat(Math.max(0, width - String.valueOf(i).length())) + i;
      cities.put(key, list.getJsonObject(i));
    }
  }

  /** Streams a large JSON array and keeps every {@code n}th element, the first included. */
  private static JsonArray everyNth(java.nio.file.Path file, int n) throws IOException {
    JsonArray kept = new JsonArray();
    try (JsonParser parser = new JsonFactory().createParser(file.toFile())) {
      if (parser.nextToken() != JsonToken.START_ARRAY) {
        throw new IOException(file + " is not a JSON array");
      }
      long index = 0;
      while (parser.nextToken() == JsonToken.START_OBJECT) {
        if (index++ % n != 0) {
          parser.skipChildren();
          continue;
        }
        JsonObject city = new JsonObject();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String field = parser.currentName();
          parser.nextToken();
          city.put(field, parser.getText());
        }
        kept.add(city);
      }
    }
    return kept;
  }

  @AfterEach
  void killChild() {
    if (child != null) {
      child.destroy();
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** @return country code → (city id → name), computed from the data */
  private static JsonObject expectedIndex(JsonObject cities) {
    JsonObject index = new JsonObject();
    for (Map.Entry<String, Object> entry : cities) {
      JsonObject city = (JsonObject) entry.getValue();
      JsonObject country = index.getJsonObject(city.getString("country"));
      if (country == null) {
        country = new JsonObject();
        index.put(city.getString("country"), country);
      }
      country.put(entry.getKey(), city.getString("name"));
    }
    return index;
  }

  private Future<KoraNode> node(Vertx vertx, String db) {
    return KoraNode.deploy(vertx, new KoraNodeOptions().setPort(0)
        .setStore(new StoreOptions().setUrl("sqlite:" + db)).addPlugin(new CityIndexPlugin()));
  }

  private static JsonObject query(Path path) {
    return Query.of(path, QueryOptions.WHOLE).toJson();
  }

  private static Future<Object> read(TestSocket client, Path path) {
    return client.query(query(path)).map(reply -> Tree.get(reply.getJsonObject("merge"), path));
  }

  private static Future<Object> stats(TestSocket client, String country) {
    return read(client, Path.of("country:stats", country));
  }

  private static JsonObject count(int n) {
    return new JsonObject().put("cities", n);
  }

  /** Imports {@link #cities} through the embedded API, 100 cities a mutation, as the CLI batches. */
  private static Future<Void> importEmbedded(KoraNode node) {
    List<JsonObject> batches = new ArrayList<>();
    JsonObject batch = new JsonObject();
    for (Map.Entry<String, Object> entry : cities) {
      batch.put(entry.getKey(), entry.getValue());
      if (batch.size() == 100) {
        batches.add(batch);
        batch = new JsonObject();
      }
    }
    if (!batch.isEmpty()) {
      batches.add(batch);
    }
    Future<Void> chain = Future.succeededFuture();
    for (JsonObject each : batches) {
      chain = chain.compose(v -> node.merge(CITIES, each)).mapEmpty();
    }
    return chain;
  }

  /** Jars the examples' compiled classes (with their META-INF/services) into {@code lib}. */
  private static java.nio.file.Path examplesJar(java.nio.file.Path lib) throws Exception {
    java.nio.file.Path classes = java.nio.file.Path.of(CityIndexPlugin.class.getProtectionDomain()
        .getCodeSource().getLocation().toURI());
    assertTrue(Files.isDirectory(classes), "compiled examples at " + classes);
    Files.createDirectories(lib);
    java.nio.file.Path jar = lib.resolve("kora-examples.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
        Stream<java.nio.file.Path> files = Files.walk(classes)) {
      for (java.nio.file.Path file : (Iterable<java.nio.file.Path>) files.sorted()::iterator) {
        if (Files.isRegularFile(file)) {
          out.putNextEntry(new JarEntry(classes.relativize(file).toString()
              .replace(File.separatorChar, '/')));
          try (OutputStream entry = new NonClosing(out)) {
            Files.copy(file, entry);
          }
          out.closeEntry();
        }
      }
    }
    return classes;
  }

  private static final class NonClosing extends java.io.FilterOutputStream {
    NonClosing(OutputStream out) {
      super(out);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }

  // ---- tests ---------------------------------------------------------------------------------

  @Test
  void theImportCommandIndexesEveryCityWithThePluginFromLib(Vertx vertx, VertxTestContext context)
      throws Exception {
    java.nio.file.Path lib = tmp.resolve("lib");
    java.nio.file.Path classes = examplesJar(lib);
    java.nio.file.Path testClasses = java.nio.file.Path.of(CityIndexTest.class
        .getProtectionDomain().getCodeSource().getLocation().toURI());
    // The child sees Kora and its dependencies, not the examples: it can only find the plugin in
    // the jar of --lib.
    List<String> classPath = new ArrayList<>(ChildJvm.testClassPath());
    classPath.removeIf(entry -> java.nio.file.Path.of(entry).toAbsolutePath().equals(classes)
        || java.nio.file.Path.of(entry).toAbsolutePath().equals(testClasses));
    String db = tmp.resolve("kora.db").toString();
    child = ChildJvm.start(classPath, tmp.resolve("import.err").toFile(),
        KoraCommand.class.getName(), "import", input.toString(), "--at", "cities", "--index",
        "--store", "sqlite:" + db, "--lib", lib.toString());
    JsonObject expected = expectedIndex(cities);
    child.exit(vertx, 120_000)
        .compose(status -> {
          assertEquals(0, status, "import failed:\n" + child.stderrText());
          return node(vertx, db);
        })
        .compose(node -> TestSocket.connect(vertx, node.actualPort(),
            TestSocket.PATIENT_TIMEOUT_MS))
        .compose(client -> read(client, CITIES)
            .compose(stored -> {
              assertEquals(cities, stored, "the cities as imported");
              return read(client, INDEX);
            })
            .compose(index -> {
              assertNotNull(index, "no index: the plugin was not loaded from --lib");
              // One entry per city, under its country, holding its name.
              assertEquals(expected, index);
              List<Future<Object>> counts = new ArrayList<>();
              for (String country : expected.fieldNames()) {
                counts.add(stats(client, country));
              }
              return Future.all(counts).map(all -> {
                int i = 0;
                for (String country : expected.fieldNames()) {
                  assertEquals(count(expected.getJsonObject(country).size()), all.resultAt(i++),
                      "country:stats/" + country);
                }
                return null;
              });
            }))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void countryStatsIsAReadOnlyVirtualPath(Vertx vertx, VertxTestContext context) {
    JsonObject expected = expectedIndex(cities);
    String country = expected.fieldNames().iterator().next();
    node(vertx, tmp.resolve("kora.db").toString())
        .compose(node -> importEmbedded(node)
            .compose(v -> TestSocket.connect(vertx, node.actualPort(),
                TestSocket.PATIENT_TIMEOUT_MS))
            .compose(client -> stats(client, country)
                .compose(stats -> {
                  assertEquals(count(expected.getJsonObject(country).size()), stats);
                  return stats(client, "XX");
                })
                .compose(none -> {
                  assertNull(none, "a country without cities has no stats");
                  return client.refused("kora.mutation", Mutation.merge(Path.of("country:stats",
                      country), count(1)).toJson(), ErrorCode.DENIED);
                })
                .compose(v -> client.refused("kora.mutation", Mutation.delete(
                    Path.of("country:stats", country)).toJson(), ErrorCode.DENIED))
                .compose(v -> client.refused("kora.mutation", Mutation.merge(Path.of(
                    "country:stats", country, "cities"), 1).toJson(), ErrorCode.DENIED))
                .compose(v -> node.merge(Path.of("country:stats", country), count(1))
                    .transform(done -> {
                      assertTrue(done.failed(), "not even the server writes a computed path");
                      return stats(client, country);
                    }))
                .compose(stats -> {
                  assertEquals(count(expected.getJsonObject(country).size()), stats);
                  // Nothing is stored there: read the store itself, around resolveQuery.
                  return TreeReader.read(node.store(), Path.of("country:stats"),
                      QueryOptions.WHOLE);
                })
                .map(stored -> {
                  assertNull(stored);
                  return null;
                })))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void theIndexFollowsRenamesMovesCreationsAndDeletes(Vertx vertx, VertxTestContext context) {
    JsonObject expected = expectedIndex(cities);
    String first = cities.fieldNames().iterator().next();
    JsonObject city = cities.getJsonObject(first);
    String from = city.getString("country");
    String to = from.equals("FR") ? "DE" : "FR";
    int fromCount = expected.getJsonObject(from).size();
    int toCount = expected.containsKey(to) ? expected.getJsonObject(to).size() : 0;
    Path cityPath = CITIES.child(first);
    node(vertx, tmp.resolve("kora.db").toString())
        .compose(node -> importEmbedded(node)
            .compose(v -> TestSocket.connect(vertx, node.actualPort(),
                TestSocket.PATIENT_TIMEOUT_MS))
            .compose(client -> client.request("kora.subscribe", Query.of(List.of(
                    new Query.Entry(cityPath, QueryOptions.WHOLE),
                    new Query.Entry(INDEX.child(from), QueryOptions.WHOLE))).toJson())
                // Rename: the entry follows, in the same commit as the city (one push holds both).
                .compose(initial -> client.mutate(Mutation.merge(cityPath.child("name"),
                    "Renamed").toJson()))
                .compose(v -> client.nextCast())
                .compose(push -> {
                  JsonObject merge = push.getJsonObject("body").getJsonObject("merge");
                  assertEquals("Renamed", Tree.get(merge, cityPath.child("name")));
                  assertEquals("Renamed", Tree.get(merge, INDEX.child(from).child(first)));
                  return read(client, INDEX.child(from).child(first));
                })
                .compose(name -> {
                  assertEquals("Renamed", name);
                  // Move to another country: the entry moves.
                  return client.mutate(Mutation.merge(cityPath.child("country"), to).toJson());
                })
                .compose(v -> Future.all(read(client, INDEX.child(from).child(first)),
                    read(client, INDEX.child(to).child(first)), stats(client, from),
                    stats(client, to)))
                .compose(all -> {
                  assertNull(all.resultAt(0));
                  assertEquals("Renamed", all.resultAt(1));
                  assertEquals(fromCount == 1 ? null : count(fromCount - 1), all.resultAt(2));
                  assertEquals(count(toCount + 1), all.resultAt(3));
                  // A new city, written by a client, is indexed.
                  return client.mutate(Mutation.merge(CITIES.child("new-1"), new JsonObject()
                      .put("name", "Newtown").put("country", to)).toJson());
                })
                .compose(v -> Future.all(read(client, INDEX.child(to).child("new-1")),
                    stats(client, to)))
                .compose(all -> {
                  assertEquals("Newtown", all.resultAt(0));
                  assertEquals(count(toCount + 2), all.resultAt(1));
                  // Deleting a city removes its entry, also with a null merge.
                  return client.mutate(Mutation.delete(cityPath).toJson());
                })
                .compose(v -> client.mutate(Mutation.merge(CITIES.child("new-1"), null).toJson()))
                .compose(v -> Future.all(read(client, INDEX.child(to).child(first)),
                    read(client, INDEX.child(to).child("new-1")), stats(client, to)))
                .compose(all -> {
                  assertNull(all.resultAt(0));
                  assertNull(all.resultAt(1));
                  assertEquals(toCount == 0 ? null : count(toCount), all.resultAt(2));
                  // Replacing a city whole re-indexes it from its new value.
                  String second = new ArrayList<>(cities.fieldNames()).get(1);
                  String country = cities.getJsonObject(second).getString("country");
                  return client.mutate(Mutation.replace(CITIES.child(second), new JsonObject()
                          .put("name", "Replaced").put("country", "ZZ")).toJson())
                      .compose(v -> Future.all(read(client, INDEX.child(country).child(second)),
                          read(client, INDEX.child("ZZ").child(second))))
                      .map(both -> {
                        assertNull(both.resultAt(0));
                        assertEquals("Replaced", both.resultAt(1));
                        return null;
                      });
                })
                // Deleting every city deletes the whole index.
                .compose(v -> client.mutate(Mutation.delete(CITIES).toJson()))
                .compose(v -> Future.all(read(client, INDEX), stats(client, from)))
                .map(all -> {
                  assertNull(all.resultAt(0));
                  assertNull(all.resultAt(1));
                  return null;
                })))
        .onComplete(context.succeedingThenComplete());
  }

  @Test
  void theSliceKeepsItsAttribution() throws IOException {
    String notice = new String(CityIndexTest.class.getResourceAsStream("/NOTICE").readAllBytes(),
        java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(notice.contains("https://www.geonames.org") && notice.contains("CC BY 4.0"), notice);
  }
}
