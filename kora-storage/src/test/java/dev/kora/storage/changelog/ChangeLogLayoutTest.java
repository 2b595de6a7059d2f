package dev.kora.storage.changelog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kora.tree.ErrorCode;
import dev.kora.tree.KoraException;
import dev.kora.tree.Path;
import org.junit.jupiter.api.Test;

/** The pure parts of the change log layout: keys, ids and which rows are bookkeeping. */
class ChangeLogLayoutTest {

  @Test
  void entryKeysSortAsTheirVersionsAndBeforeTheCounters() {
    assertEquals("0000000000000000042", ChangeLog.entryKey(42));
    assertEquals("9223372036854775807", ChangeLog.entryKey(Long.MAX_VALUE));
    assertTrue(ChangeLog.entryKey(9).compareTo(ChangeLog.entryKey(10)) < 0);
    assertTrue(ChangeLog.entryKey(Long.MAX_VALUE).compareTo("trimmed") < 0);
    assertTrue("trimmed".compareTo("version") < 0);
  }

  @Test
  void idsBecomeValidKeys() {
    assertEquals(Path.of("kora:ids", "phone-1:17"), ChangeLog.idPath("phone-1:17"));
    assertEquals(Path.of("kora:ids", "a%2fb%25c%01"), ChangeLog.idPath("a/b%c\u0001"));
    assertEquals(Path.of("kora:ids", "é😀"), ChangeLog.idPath("é😀"));
  }

  @Test
  void badIdsAreRefusedWithInvalidMutation() {
    for (Object bad : new Object[] {null, 7, "", "x".repeat(129), "é".repeat(65), "a\ud800b",
        true}) {
      KoraException e = assertThrows(KoraException.class, () -> ChangeLog.checkId(bad),
          String.valueOf(bad));
      assertEquals(ErrorCode.INVALID_MUTATION, e.code());
    }
    assertEquals("x".repeat(128), ChangeLog.checkId("x".repeat(128)));
    assertEquals("😀".repeat(32), ChangeLog.checkId("😀".repeat(32)), "128 bytes of 4-byte chars");
  }

  @Test
  void onlyTheLogAndTheIdsAreBookkeeping() {
    assertTrue(ChangeLog.isBookkeeping(ChangeLog.entryPath(3)));
    assertTrue(ChangeLog.isBookkeeping(ChangeLog.idPath("c:1")));
    assertFalse(ChangeLog.isBookkeeping(Path.of("kora:jobs", "j1")));
    assertFalse(ChangeLog.isBookkeeping(Path.of("todos")));
    assertFalse(ChangeLog.isBookkeeping(Path.ROOT));
  }
}
