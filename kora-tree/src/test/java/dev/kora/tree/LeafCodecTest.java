package dev.kora.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.jackson.JacksonCodec;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** The stored text of leaves is what Jackson's generator writes, whichever path encodes it. */
class LeafCodecTest {

  private static final JacksonCodec JACKSON = new JacksonCodec();

  @Property(tries = 2_000)
  void stringsAreEscapedAsJacksonEscapesThem(@ForAll String text) {
    assertEquals(JACKSON.toString(text, false), LeafCodec.quote(text));
    assertEquals(text, LeafCodec.decode(LeafCodec.encode(text)));
  }

  @Property(tries = 2_000)
  void doublesAreWrittenAsJacksonWritesThem(@ForAll double number) {
    if (Double.isFinite(number)) {
      assertEquals(JACKSON.toString(number, false), LeafCodec.encode(number));
    }
  }

  @Test
  void everyLeafTypeMatchesJackson() {
    StringBuilder controls = new StringBuilder();
    for (char c = 0; c < 0x30; c++) {
      controls.append(c);
    }
    controls.append("\"\\/\u007f\u2028é😀");
    for (Object leaf : List.of(controls.toString(), "", "plain", 0, -7, Long.MAX_VALUE, 1.0,
        1e20, 1.5e-7, -0.0, 3.4f, (short) 3, (byte) 4, true, false,
        new BigDecimal("1e400"), new BigDecimal("0.1000"), BigInteger.TEN.pow(30),
        new JsonArray().add(1).add("a\nb").add(new JsonArray().add(true)))) {
      assertEquals(JACKSON.toString(leaf, false), LeafCodec.encode(leaf), () -> leaf.getClass()
          + " " + leaf);
    }
  }
}
