package dev.stratus.kernels.text;

import static dev.stratus.kernels.text.Parsing.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stratus.kernels.data.Ratings;
import org.junit.jupiter.api.Test;

class RatingsFormatTest {
  final RatingsFormat format = new RatingsFormat(611, 193_610, ',');

  @Test
  void readsRatingsAsRowsOfUsersThenItemsIgnoringFurtherColumns() {
    RowParser parser = format.newParser();
    assertEquals(Ratings.row(0, 0, 4f, 611), parse(parser, "0,0,4"));
    assertEquals(Ratings.row(610, 193_609, 0.5f, 611), parse(parser, "610,193609,0.5,964982703"));
    assertEquals(Ratings.row(3, 7, -2.5f, 611), parse(parser, "3.0,7,-2.5e0")); // whole ids written as decimals
    assertNull(parse(parser, ""));
    assertEquals(611 + 193_610, parser.featureCount());
    RowParser tabs = new RatingsFormat(5, 5, '\t').newParser();
    assertEquals(Ratings.row(1, 2, 3f, 5), parse(tabs, "1\t2\t3\tignored,text"));
  }

  @Test
  void onlyTheFirstLineMayBeAHeader() {
    RowParser parser = format.newParser();
    assertNull(parse(parser, "userId,movieId,rating,timestamp"));
    assertEquals(Ratings.row(1, 2, 3f, 611), parse(parser, "1,2,3"));
    assertProblem(parser, "userId,movieId,rating", "user 'userId' is not a number: ids are 0 to 610");

    RowParser marked = format.newParser(); // a byte-order mark before the first field is not part of it
    assertEquals(Ratings.row(1, 2, 3f, 611), parse(marked, "\uFEFF1,2,3"));
    assertProblem(format.newParser(), ",2,3", "missing user (a line is user,item,rating)");
  }

  @Test
  void eachProblemNamesWhatIsWrongAndTheValidRange() {
    RowParser parser = format.newParser();
    parse(parser, "0,0,1");
    assertProblem(parser, ",5,3.0", "missing user (a line is user,item,rating)");
    assertProblem(parser, "1", "missing item (a line is user,item,rating)");
    assertProblem(parser, "1,,3", "missing item (a line is user,item,rating)");
    assertProblem(parser, "1,2", "missing rating (a line is user,item,rating)");
    assertProblem(parser, "1,2,", "missing rating (a line is user,item,rating)");
    assertProblem(parser, "x,2,3", "user 'x' is not a number: ids are 0 to 610");
    assertProblem(parser, "1, 2,3", "item ' 2' is not a number: ids are 0 to 193609");
    assertProblem(parser, "1.5,2,3", "user 1.5 is not a whole number: ids are 0 to 610");
    assertProblem(parser, "-1,2,3", "user -1 is negative: ids are 0 to 610");
    assertProblem(parser, "611,2,3", "user 611 is not below users(611): ids are 0 to 610");
    assertProblem(parser, "1,193610,3", "item 193610 is not below items(193610): ids are 0 to 193609");
    assertProblem(parser, "1,2,five", "rating 'five' is not a finite number");
    assertProblem(parser, "1,2,1e39", "rating '1e39' is not a finite number"); // past a float's range
    RowParser semicolons = new RatingsFormat(5, 5, ';').newParser();
    assertProblem(semicolons, "1;2", "missing rating (a line is user;item;rating)");
  }

  @Test
  void refusesCountsAndDelimitersItCannotRead() {
    assertEquals("users and items must be in [1, 1073741824], got users(0), items(5)",
        assertThrows(IllegalArgumentException.class, () -> new RatingsFormat(0, 5, ',')).getMessage());
    assertEquals("users(1073741824) + items(1073741824) is more features than a dataset holds, 2147483647",
        assertThrows(IllegalArgumentException.class, () -> RatingsFormat.featureCount(1 << 30, 1 << 30)).getMessage());
    assertEquals(Integer.MAX_VALUE, RatingsFormat.featureCount(1 << 30, (1 << 30) - 1));
    for (char delimiter : new char[] {'.', '-', 'e', '5', '\n', 'é'}) {
      assertThrows(IllegalArgumentException.class, () -> new RatingsFormat(5, 5, delimiter), "'" + delimiter + "'");
    }
  }

  private static void assertProblem(RowParser parser, String line, String expected) {
    RecordProblem p = assertThrows(RecordProblem.class, () -> parse(parser, line), line);
    assertEquals(expected, p.getMessage());
  }
}
