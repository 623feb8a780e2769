"""scikit-learn for dev.stratus.kernels.reference.ScikitLearn, which runs it with Debian's /usr/bin/python3.

Usage:
  scikit_learn.py digits
      Prints load_digits' rows in its order, one a line: the label, then the 64 pixels (whole numbers 0 to 16).
  scikit_learn.py multinomial CLASSES FEATURES TRAIN TEST WEIGHTS C...
      Fits multinomial LogisticRegression (lbfgs) on the LIBSVM file TRAIN (1-based indices, labels 0 to CLASSES - 1)
      at each C and scores the LIBSVM file TEST. Of the C with the lowest test log loss it prints one line,
      C<TAB>test log loss<TAB>test accuracy<TAB>seconds the fit took, and writes the model to WEIGHTS as little-endian
      float32: FEATURES + 1 rows of CLASSES, the intercepts last.
  scikit_learn.py als USERS ITEMS RANK TRAIN TEST LAMBDA...
      Fits biased matrix factorization by alternating least squares (numpy alone) on the ratings file TRAIN at each
      lambda and scores the ratings file TEST; a ratings file holds little-endian records of int32 user (0 to
      USERS - 1), int32 item (0 to ITEMS - 1), float32 rating. Of the lambda with the lowest test RMSE it prints one
      line, lambda<TAB>test RMSE<TAB>test MAE<TAB>seconds the fit took.
Exits with status 3 when scikit-learn cannot be imported.
"""
import sys
import time
import warnings

try:
    import numpy as np
    from sklearn.datasets import load_digits, load_svmlight_file
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss
    from threadpoolctl import threadpool_limits
except ImportError as e:
    print(e, file=sys.stderr)
    sys.exit(3)


def digits():
    data = load_digits()
    for pixels, label in zip(data.data.astype(int), data.target):
        print(label, *pixels)


def multinomial(classes, features, train_file, test_file, weights_file, *grid):
    classes, features = int(classes), int(features)
    x, y = load_svmlight_file(train_file, n_features=features, zero_based=False)
    xt, yt = load_svmlight_file(test_file, n_features=features, zero_based=False)
    y, yt = y.astype(int), yt.astype(int)
    # A fit stopped by max_iter or a failed line search is no optimum: fail rather than report it.
    warnings.simplefilter("error", ConvergenceWarning)
    best = None
    for c in map(float, grid):
        # tol bounds L-BFGS' gradient, but scikit-learn 1.2 stops first at scipy's default relative decrease of the
        # objective (2.2e-9): on digits, a test loss within 1e-4 of a fit run to a 1e-9 gradient.
        model = LogisticRegression(C=c, multi_class="multinomial", solver="lbfgs", tol=1e-6, max_iter=1000)
        start = time.perf_counter()
        try:
            model.fit(x, y)
        except ConvergenceWarning as e:
            sys.exit(f"at C={c}: {e}")
        seconds = time.perf_counter() - start
        loss = log_loss(yt, model.predict_proba(xt), labels=range(classes))
        if best is None or loss < best[1]:
            accuracy = float(np.mean(model.predict(xt) == yt))
            best = (c, loss, accuracy, seconds, model)
    c, loss, accuracy, seconds, model = best
    coef = model.coef_
    if classes == 2:
        # Two classes keep only class 1's weights; their probabilities are the softmax of -margin and margin.
        coef = np.vstack([-coef, coef])
        intercept = np.array([-model.intercept_[0], model.intercept_[0]])
    else:
        intercept = model.intercept_
    np.vstack([coef.T, intercept]).astype("<f4").tofile(weights_file)
    print(f"{c!r}\t{loss!r}\t{accuracy!r}\t{seconds!r}")


RATING = np.dtype([("user", "<i4"), ("item", "<i4"), ("rating", "<f4")])
# ALS lowers its objective at every sweep: it has converged once a sweep lowers it by less than this fraction.
TOLERANCE = 1e-6
MAX_SWEEPS = 500


def als(users, items, rank, train_file, test_file, *grid):
    """The model mu + b_u + b_i + p_u . q_i, mu the training mean, fitted at each lambda to the objective sum of
    squared errors + lambda * (sum_u n_u (|p_u|^2 + b_u^2) + sum_i n_i (|q_i|^2 + b_i^2)), n the rating counts."""
    users, items, rank = int(users), int(items), int(rank)
    train, test = np.fromfile(train_file, RATING), np.fromfile(test_file, RATING)
    best = None
    for lam in map(float, grid):
        start = time.perf_counter()
        # The solves are thousands of tiny ones, which OpenBLAS' threads slow down tenfold or more.
        with threadpool_limits(1):
            mu, p, q = factorize(users, items, rank, train, lam)
        seconds = time.perf_counter() - start
        error = test["rating"] - predict(mu, p, q, test)
        rmse = float(np.sqrt(np.mean(error ** 2)))
        if best is None or rmse < best[1]:
            best = (lam, rmse, float(np.mean(np.abs(error))), seconds)
    print("\t".join(map(repr, best)))


def factorize(users, items, rank, train, lam):
    """Alternating exact ridge solves, every user's then every item's, until the objective stops falling. Rows of p and
    q are [factors, bias]; a user or item without training ratings keeps zeros, so it predicts from mu and the other
    side's bias alone."""
    r = train["rating"].astype(float)
    mu = r.mean()
    user_count, by_user = grouped(train["user"], train["item"], r, users, items)
    item_count, by_item = grouped(train["item"], train["user"], r, items, users)
    q = np.zeros((items, rank + 1))
    q[:, :rank] = np.random.default_rng(0).normal(scale=rank ** -0.5, size=(items, rank))
    objective = np.inf
    for _ in range(MAX_SWEEPS):
        p = solve(user_count, by_user, q, mu, lam)
        q = solve(item_count, by_item, p, mu, lam)
        previous = objective
        objective = (np.sum((r - predict(mu, p, q, train)) ** 2)
                     + lam * (user_count @ np.sum(p ** 2, 1) + item_count @ np.sum(q ** 2, 1)))
        if previous - objective <= TOLERANCE * objective:
            return mu, p, q
    sys.exit(f"at lambda={lam}: a sweep still lowered the objective by more than {TOLERANCE} of it after {MAX_SWEEPS}")


def grouped(owners, partners, ratings, owner_count, partner_count):
    """Each owner's (user's or item's) rating count, and its ratings laid out for batched solves: blocks of the owners
    whose counts share a power of two, each those owners and, a row per owner, its partners and its ratings, padded
    to the block's longest with partner partner_count, whose design row is zeros (so padding adds nothing to a solve
    and at most doubles a block's size)."""
    count = np.bincount(owners, minlength=owner_count)
    order = np.argsort(owners, kind="stable")
    position = np.empty_like(order)
    position[order] = np.arange(len(owners)) - (np.cumsum(count) - count)[owners[order]]
    level = np.frexp(count)[1]
    blocks = []
    for block in np.unique(level[count > 0]):
        members = np.flatnonzero((count > 0) & (level == block))
        slot = np.full(owner_count, -1)
        slot[members] = np.arange(len(members))
        mine = slot[owners] >= 0
        row, column = slot[owners[mine]], position[mine]
        block_partners = np.full((len(members), count[members].max()), partner_count)
        block_partners[row, column] = partners[mine]
        block_ratings = np.zeros(block_partners.shape)
        block_ratings[row, column] = ratings[mine]
        blocks.append((members, block_partners, block_ratings))
    return count, blocks


def solve(count, blocks, other, mu, lam):
    """Each owner's [factors, bias] minimising its squared errors + lambda * n * their squared norm, the other side
    fixed: a ridge regression on design rows [partner's factors, 1] of targets rating - mu - partner's bias."""
    rank = other.shape[1] - 1
    design = np.zeros((len(other) + 1, rank + 1))
    design[:-1, :rank] = other[:, :rank]
    design[:-1, rank] = 1
    offset = np.append(mu + other[:, rank], 0)
    x = np.zeros((len(count), rank + 1))
    for members, partners, ratings in blocks:
        a = design[partners]
        at = a.transpose(0, 2, 1)
        gram = at @ a + (lam * count[members])[:, None, None] * np.eye(rank + 1)
        x[members] = np.linalg.solve(gram, at @ (ratings - offset[partners])[..., None])[..., 0]
    return x


def predict(mu, p, q, ratings):
    u, i = ratings["user"], ratings["item"]
    rank = p.shape[1] - 1
    return mu + p[u, rank] + q[i, rank] + np.einsum("nk,nk->n", p[u, :rank], q[i, :rank])


{"digits": digits, "multinomial": multinomial, "als": als}[sys.argv[1]](*sys.argv[2:])
