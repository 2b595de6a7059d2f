package dev.kora.storage.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.storage.StoreOptions;
import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Parsing of server store URLs: parts, decoding, defaults, option precedence, errors. */
class ServerUrlTest {

  private static ServerUrl parse(String url) {
    return ServerUrl.parse(new StoreOptions().setUrl(url), 5432, Set.of("extra"));
  }

  @Test
  void partsAreParsedAndDecoded() {
    ServerUrl url = parse("Postgres://k%C3%B6ra:p%40ss%2Fw:rd+1@db.example.com:6543/my%20db"
        + "?table=todo&extra=a%26b");
    assertEquals("postgres", url.scheme());
    assertEquals("köra", url.user());
    assertEquals("p@ss/w:rd+1", url.password());
    assertEquals("db.example.com", url.host());
    assertEquals(6543, url.port());
    assertEquals("my db", url.database());
    assertEquals("todo", url.table());
    assertEquals(Map.of("extra", "a&b"), url.options());
    assertEquals("postgres://köra:***@db.example.com:6543/my db?table=todo&poolSize=4"
        + "&timeoutMs=10000&extra=a&b", url.describe());
    assertFalse(url.toString().contains("rd+1"));
  }

  @Test
  void defaultsComeFromTheOptionsAndTheDriver() {
    ServerUrl url = ServerUrl.parse(new StoreOptions().setUrl("postgres://[::1]/db")
        .setTable("fromOptions").setPoolSize(9).setOperationTimeoutMs(1234), 5432, Set.of());
    assertEquals("::1", url.host());
    assertEquals(5432, url.port());
    assertNull(url.user());
    assertNull(url.password());
    assertEquals("fromOptions", url.table());
    assertEquals(9, url.poolSize());
    assertEquals(1234, url.timeoutMs());
    assertEquals("postgres://[::1]:5432/db?table=fromOptions&poolSize=9&timeoutMs=1234",
        url.describe());
    ServerUrl overridden = ServerUrl.parse(new StoreOptions().setTable("fromOptions")
        .setUrl("postgres://u@[::1]:7/db?table=fromUrl&poolSize=2&timeoutMs=50"), 5432, Set.of());
    assertEquals(List.of("fromUrl", 2, 50L, 7, "u"), List.of(overridden.table(),
        overridden.poolSize(), overridden.timeoutMs(), overridden.port(), overridden.user()));
  }

  @Test
  void badUrlsAreRefusedWithoutThePassword() {
    for (String bad : List.of("postgres:/db", "postgres://h", "postgres://h/", "postgres://:1/db",
        "postgres://[::1/db", "postgres://[::1]x/db", "postgres://h:0/db", "postgres://h:65536/db",
        "postgres://h:port/db", "postgres://h/a/b", "postgres://h/db?nope=1", "postgres://h/db?table=",
        "postgres://h/db?poolSize=-1", "postgres://h/db?timeoutMs=0", "postgres://u:sec%ZZret@h/db",
        "postgres://u:secret@h:x/db")) {
      KoraException error = assertThrows(KoraException.class, () -> parse(bad), bad);
      assertEquals(ErrorCode.INVALID_MESSAGE, error.code(), bad);
      assertFalse(error.getMessage().contains("secret"), error.getMessage());
      assertFalse(error.getMessage().contains("sec%ZZret"), error.getMessage());
    }
  }

  @Test
  void aDriverMayAcceptSeveralHosts() {
    ServerUrl url = ServerUrl.parse(new StoreOptions().setUrl("c://u:secret@db1:9043,db2,[::1]:7/ks"),
        9042, Set.of(), true);
    assertEquals(List.of(new ServerUrl.Host("db1", 9043), new ServerUrl.Host("db2", 9042),
        new ServerUrl.Host("::1", 7)), url.hosts());
    assertEquals("db1", url.host());
    assertEquals(9043, url.port());
    assertEquals("c://u:***@db1:9043,db2:9042,[::1]:7/ks?table=kora&poolSize=4&timeoutMs=10000",
        url.describe());
    for (String bad : List.of("c://db1,/ks", "c://,db2/ks", "c://db1,db2:0/ks")) {
      KoraException error = assertThrows(KoraException.class, () -> ServerUrl.parse(
          new StoreOptions().setUrl(bad), 9042, Set.of(), true), bad);
      assertEquals(ErrorCode.INVALID_MESSAGE, error.code(), bad);
    }
    KoraException single = assertThrows(KoraException.class, () -> parse("postgres://a,b/db"));
    assertTrue(single.getMessage().contains("several hosts"), single.getMessage());
  }

  @Test
  void schemesAreMatchedWithoutCase() {
    assertTrue(ServerUrl.accepts("MySQL://h/db", Set.of("mysql")));
    assertFalse(ServerUrl.accepts("mysqlx://h/db", Set.of("mysql")));
    assertFalse(ServerUrl.accepts("mysql:h/db", Set.of("mysql")));
    assertFalse(ServerUrl.accepts(null, Set.of("mysql")));
  }
}
