package dev.kora.storage.postgres;

import java.nio.charset.StandardCharsets;

/**
 * The SQL of one {@link PgStore} table. The table is {@code (path text COLLATE "C" PRIMARY KEY,
 * value text NOT NULL)}: the "C" collation compares the UTF-8 bytes of the paths, the tree's order.
 *
 * @param table the table name, unquoted
 * @param lockKey the key of the table's transaction-level advisory lock, the same on every node
 */
record PgSql(String table, long lockKey) {

  /**
   * @param database the database
   * @param table the table
   * @return the SQL of that table
   */
  static PgSql of(String database, String table) {
    // FNV-1a, 64 bits: stable across JVMs and nodes, unlike String.hashCode's 32 bits
    long hash = 0xcbf29ce484222325L;
    for (byte b : ("kora:" + database + ":" + table).getBytes(StandardCharsets.UTF_8)) {
      hash = (hash ^ (b & 0xFF)) * 0x100000001b3L;
    }
    return new PgSql(table, hash);
  }

  String quoted() {
    return "\"" + table + "\"";
  }

  String create() {
    return "CREATE TABLE IF NOT EXISTS " + quoted()
        + " (path text COLLATE \"C\" NOT NULL PRIMARY KEY, value text NOT NULL)";
  }

  /** @return name, type, collation and whether it is the primary key, for each column ($1: table) */
  String shape() {
    return "SELECT a.attname, format_type(a.atttypid, a.atttypmod), coalesce(c.collname, ''),"
        + " EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary"
        + " AND i.indnatts = 1 AND i.indkey[0] = a.attnum)"
        + " FROM pg_attribute a LEFT JOIN pg_collation c ON c.oid = a.attcollation"
        + " WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped"
        + " ORDER BY a.attnum";
  }

  String lock() {
    return "SELECT pg_advisory_xact_lock($1)";
  }

  /**
   * @return the value of the row at path $1, locking the row until the transaction ends (a fence's
   *     check; an absent row locks nothing, but the table's advisory lock, taken before, serializes
   *     every writer of the table anyway)
   */
  String selectForUpdate() {
    return "SELECT value FROM " + quoted() + " WHERE path = $1 FOR UPDATE";
  }

  String deleteRange() {
    return "DELETE FROM " + quoted() + " WHERE path >= $1 AND path < $2";
  }

  String deletePoints() {
    return "DELETE FROM " + quoted() + " WHERE path = ANY($1::text[])";
  }

  String upsert() {
    return "INSERT INTO " + quoted() + " (path, value) SELECT * FROM unnest($1::text[], $2::text[])"
        + " ON CONFLICT (path) DO UPDATE SET value = EXCLUDED.value";
  }

  /** @return the rows from $1 (inclusive), below $2 when {@code bounded}, in path order */
  String select(boolean bounded) {
    return "SELECT path, value FROM " + quoted() + " WHERE path >= $1"
        + (bounded ? " AND path < $2" : "") + " ORDER BY path";
  }
}
