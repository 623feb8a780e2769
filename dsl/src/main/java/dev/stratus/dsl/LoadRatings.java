package dev.stratus.dsl;

import dev.stratus.kernels.data.Ratings;
import dev.stratus.kernels.text.RatingsFormat;
import dev.stratus.kernels.text.TextFormat;
import java.util.Locale;

/**
 * Loads ratings, {@code user,item,rating} a line (further columns such as a timestamp ignored, a header line skipped),
 * as a dataset for matrix factorization: each rating a {@link Ratings#row} whose label is the rating and whose features
 * are the user, 0 to {@code users - 1}, and the item after them, so the dataset has {@code users + items} features.
 * Ids are whole numbers below the {@link #users} and {@link #items} counts, both required; a line with another, or
 * without a finite rating, is malformed.
 *
 * <pre>{@code
 * PCollection<Dataset> ratings = p.apply(LoadRatings.from("data/ratings.csv").users(611).items(193_610));
 * }</pre>
 */
public final class LoadRatings extends LoadText<LoadRatings> {
  private int users;
  private int items;
  private char delimiter = ',';

  private LoadRatings(String input) {
    super(input);
  }

  /** Reads a file, a directory, an {@code s3://} object or prefix, or a glob such as {@code data/ratings-*.csv}. */
  public static LoadRatings from(String input) {
    return new LoadRatings(input);
  }

  /** The number of users (required, 1 to 2^30; with the items, at most 2^31 - 1): ids 0 to {@code count - 1}. */
  public LoadRatings users(int count) {
    Checks.inRange("users", count, 1, RatingsFormat.MAX_IDS);
    if (items > 0) {
      RatingsFormat.featureCount(count, items);
    }
    this.users = count;
    return this;
  }

  /** The number of items (required, 1 to 2^30; with the users, at most 2^31 - 1): ids 0 to {@code count - 1}. */
  public LoadRatings items(int count) {
    Checks.inRange("items", count, 1, RatingsFormat.MAX_IDS);
    if (users > 0) {
      RatingsFormat.featureCount(users, count);
    }
    this.items = count;
    return this;
  }

  /** The field separator; default ','. */
  public LoadRatings delimiter(char separator) {
    this.delimiter = RatingsFormat.checkDelimiter(separator);
    return this;
  }

  @Override
  TextFormat format() {
    if (users == 0) {
      throw new IllegalArgumentException("LoadRatings needs .users(count): user ids are 0 to count - 1");
    }
    if (items == 0) {
      throw new IllegalArgumentException("LoadRatings needs .items(count): item ids are 0 to count - 1");
    }
    return new RatingsFormat(users, items, delimiter);
  }

  @Override
  String describeFormat() {
    return String.format(Locale.ROOT, "ratings (%,d users, %,d items)", users, items);
  }
}
