package dev.stratus.kernels.text;

import dev.stratus.kernels.data.Ratings;
import dev.stratus.kernels.data.SparseRow;
import java.util.List;

/**
 * Ratings, one a line: {@code user,item,rating} (the delimiter a setting), further fields such as a timestamp ignored.
 * Users are whole numbers 0 to {@code users - 1}, items 0 to {@code items - 1}, ratings finite numbers; each line
 * becomes {@link Ratings#row}, in a feature space of {@code users + items}. A file's first line is a header when its
 * user field is not a number ({@code userId,movieId,rating,timestamp}).
 */
public final class RatingsFormat implements TextFormat {
  private static final long serialVersionUID = 1L;
  /** The most users, or items, a format takes. */
  public static final int MAX_IDS = 1 << 30;

  private final int users;
  private final int items;
  private final int features;
  private final byte delimiter;

  public RatingsFormat(int users, int items, char delimiter) {
    this.features = featureCount(users, items);
    this.users = users;
    this.items = items;
    this.delimiter = (byte) checkDelimiter(delimiter);
  }

  /**
   * The feature space of {@code users} users and {@code items} items, {@code users + items}: each count 1 to
   * {@link #MAX_IDS}, and their sum an int, as a row's indices are.
   */
  public static int featureCount(int users, int items) {
    if (users < 1 || users > MAX_IDS || items < 1 || items > MAX_IDS) {
      throw new IllegalArgumentException(
          "users and items must be in [1, " + MAX_IDS + "], got users(" + users + "), items(" + items + ")");
    }
    if ((long) users + items > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("users(" + users + ") + items(" + items + ") is more features than a"
          + " dataset holds, " + Integer.MAX_VALUE);
    }
    return users + items;
  }

  /** Refuses a delimiter that a number or a line could hold. */
  public static char checkDelimiter(char delimiter) {
    if (delimiter > 127 || delimiter == '\n' || delimiter == '\r' || Character.isLetterOrDigit(delimiter)
        || delimiter == '.' || delimiter == '-' || delimiter == '+') {
      throw new IllegalArgumentException("delimiter: an ASCII character that is not part of a number or a line"
          + " break, got '" + delimiter + "'");
    }
    return delimiter;
  }

  @Override
  public RowParser newParser() {
    return new Parser();
  }

  private final class Parser implements RowParser {
    private boolean firstLine = true;

    @Override
    public SparseRow parse(byte[] b, int from, int to) {
      if (from == to) {
        return null;
      }
      if (firstLine) {
        firstLine = false;
        from = skipByteOrderMark(b, from, to);
        int end = fieldEnd(b, from, to);
        if (end > from && Double.isNaN(Numbers.parseDouble(b, from, end))) {
          return null; // a header
        }
      }
      int userEnd = fieldEnd(b, from, to);
      int user = id("user", b, from, userEnd, users);
      int itemEnd = fieldEnd(b, userEnd + 1, to);
      int item = id("item", b, userEnd + 1, itemEnd, items);
      int ratingEnd = fieldEnd(b, itemEnd + 1, to);
      if (itemEnd + 1 >= ratingEnd) {
        throw missing("rating");
      }
      double rating = Numbers.parseDouble(b, itemEnd + 1, ratingEnd);
      if (!Float.isFinite((float) rating)) {
        throw new RecordProblem("rating '" + Numbers.text(b, itemEnd + 1, ratingEnd) + "' is not a finite number");
      }
      return Ratings.row(user, item, (float) rating, users);
    }

    /** The end of the field starting at {@code from}; {@code from}, past {@code to}, when the line ended before it. */
    private int fieldEnd(byte[] b, int from, int to) {
      int i = from;
      while (i < to && b[i] != delimiter) {
        i++;
      }
      return i;
    }

    private int id(String field, byte[] b, int from, int to, int count) {
      if (from >= to) {
        throw missing(field);
      }
      double id = Numbers.parseDouble(b, from, to);
      String problem = Double.isNaN(id) ? "is not a number"
          : id != Math.rint(id) ? "is not a whole number"
          : id < 0 ? "is negative"
          : id >= count ? "is not below " + field + "s(" + count + ")"
          : null;
      if (problem != null) {
        String text = Numbers.text(b, from, to);
        throw new RecordProblem(field + " " + (Double.isNaN(id) ? "'" + text + "'" : text) + " " + problem
            + ": ids are 0 to " + (count - 1));
      }
      return (int) id;
    }

    private RecordProblem missing(String field) {
      char d = (char) delimiter;
      return new RecordProblem("missing " + field + " (a line is user" + d + "item" + d + "rating)");
    }

    @Override
    public boolean readsHeader() {
      return true; // the first line, which may be one
    }

    @Override
    public long featureCount() {
      return features;
    }

    @Override
    public List<String> namedFeatures() {
      return List.of();
    }

    @Override
    public Integer users() {
      return users;
    }
  }

  /** Skips the UTF-8 byte-order mark that spreadsheet exports put first, so that it hides no user id. */
  private static int skipByteOrderMark(byte[] b, int from, int to) {
    boolean mark = to - from >= 3 && b[from] == (byte) 0xEF && b[from + 1] == (byte) 0xBB && b[from + 2] == (byte) 0xBF;
    return mark ? from + 3 : from;
  }
}
