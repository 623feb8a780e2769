package dev.stratus.kernels.data;

/**
 * A rating as a {@link SparseRow}, so that ratings travel through the same datasets, splits and minibatches as any
 * row: the rating is the label, and the row has two features of value 1, the user's index and {@code users +} the
 * item's, so that users take features 0 to {@code users - 1} and items the ones after them (a dataset of ratings has
 * {@code users + items} features). A model's key for a user or an item is that feature.
 */
public final class Ratings {
  private static final float[] ONES = {1f, 1f};

  private Ratings() {}

  /** The row of {@code user}'s {@code rating} of {@code item}, among {@code users} users. */
  public static SparseRow row(int user, int item, float rating, int users) {
    if (user < 0 || user >= users || item < 0 || users + (long) item > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("user " + user + " of " + users + " and item " + item + " make no rating row");
    }
    return new SparseRow(rating, new int[] {user, users + item}, ONES);
  }

  /** The user of a rating row: its first feature. */
  public static int user(SparseRow row) {
    return ratingFeatures(row)[0];
  }

  /** The item of a rating row among {@code users} users: its second feature less {@code users}. */
  public static int item(SparseRow row, int users) {
    return ratingFeatures(row)[1] - users;
  }

  private static int[] ratingFeatures(SparseRow row) {
    if (row.size() != 2) {
      throw new IllegalArgumentException("a rating row has a user and an item, 2 features; this one has " + row.size()
          + ": " + row);
    }
    return row.indices();
  }
}
