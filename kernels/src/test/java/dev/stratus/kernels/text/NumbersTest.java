package dev.stratus.kernels.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NumbersTest {
  static double parse(String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    return Numbers.parseDouble(b, 0, b.length);
  }

  @Test
  void agreesWithTheJdkOnRandomDecimals() {
    Random random = new Random(13);
    for (int i = 0; i < 200_000; i++) {
      String s = switch (i % 4) {
        case 0 -> Double.toString(random.nextGaussian() * Math.pow(10, random.nextInt(40) - 20));
        case 1 -> Float.toString((float) random.nextGaussian());
        case 2 -> Long.toString(random.nextLong() >> random.nextInt(64));
        default -> String.format("%." + random.nextInt(12) + "f", random.nextDouble() * 1000);
      };
      assertEquals(Double.parseDouble(s), parse(s), s);
    }
    for (String s : List.of("0", "-0", "+3", "1e5", "1E-5", ".5", "5.", "123456789012345678901234", "0.1e-400")) {
      assertEquals(Double.parseDouble(s), parse(s), s);
    }
  }

  @Test
  void refusesWhatIsNotADecimal() {
    for (String s : List.of("", "-", ".", "e5", "1e", "1.2.3", "NaN", "Infinity", "1f", "0x10", "1 ", "--1")) {
      assertTrue(Double.isNaN(parse(s)), s);
    }
  }
}
