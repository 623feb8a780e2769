package dev.stratus.dsl;

import java.io.Serializable;

/**
 * A matrix factorization's predicted rating of one user-item pair, beside the rating the data holds.
 *
 * @param user the user's id, as the ratings file wrote it
 * @param item the item's id, as the ratings file wrote it
 * @param rating the rating the data holds
 * @param predicted the model's rating: the training mean, the user's and the item's biases, and their factors' product
 */
public record RatingPrediction(int user, int item, float rating, double predicted) implements Serializable {
  /** The predicted rating less the data's. */
  public double error() {
    return predicted - rating;
  }
}
