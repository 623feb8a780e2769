"""scikit-learn for dev.stratus.kernels.reference.ScikitLearn, which runs it with Debian's /usr/bin/python3.

Usage:
  scikit_learn.py digits
      Prints load_digits' rows in its order, one a line: the label, then the 64 pixels (whole numbers 0 to 16).
  scikit_learn.py multinomial CLASSES FEATURES TRAIN TEST WEIGHTS C...
      Fits multinomial LogisticRegression (lbfgs) on the LIBSVM file TRAIN (1-based indices, labels 0 to CLASSES - 1)
      at each C and scores the LIBSVM file TEST. Of the C with the lowest test log loss it prints one line,
      C<TAB>test log loss<TAB>test accuracy<TAB>seconds the fit took, and writes the model to WEIGHTS as little-endian
      float32: FEATURES + 1 rows of CLASSES, the intercepts last.
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


{"digits": digits, "multinomial": multinomial}[sys.argv[1]](*sys.argv[2:])
