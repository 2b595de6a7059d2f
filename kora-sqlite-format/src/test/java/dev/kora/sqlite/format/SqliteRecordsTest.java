package dev.kora.sqlite.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The arithmetic against SQLite's file format documentation; the stores' tests check it against
 * SQLite itself (dbstat shows no overflow page for a row at the limit).
 */
class SqliteRecordsTest {

  @Test
  void theLargestLocalPayloadOfAnIndexPage() {
    assertEquals(1_002, SqliteRecords.maxLocalPayload(4_096));
    assertEquals(487, SqliteRecords.maxLocalPayload(2_048));
    assertEquals(2_030, SqliteRecords.maxLocalPayload(8_192));
  }

  @Test
  void aRecordIsItsHeaderAndItsTexts() {
    // header: its size (1) and the serial types 2*12+13 = 37 and 2*40+13 = 93 (one byte each)
    assertEquals(1 + 1 + 1 + 12 + 40, SqliteRecords.recordBytes(12, 40));
    // a text of 57 bytes or more has a serial type of two bytes (2*57+13 = 127 is the last of one)
    assertEquals(1 + 1 + 57, SqliteRecords.recordBytes(57));
    assertEquals(1 + 2 + 58, SqliteRecords.recordBytes(58));
    assertEquals(1 + 1 + 1 + 1 + 4 + 6 + 20, SqliteRecords.recordBytes(4, 6, 20));
    assertEquals(1, SqliteRecords.recordBytes());
  }
}
