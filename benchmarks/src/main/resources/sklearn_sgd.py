"""scikit-learn's SGDClassifier(loss="log_loss") over LIBSVM files, for the kernel benchmark.

Usage: sklearn_sgd.py TRAIN TEST EPOCHS REPEATS. Prints one line per learning-rate setting:
setting<TAB>fit seconds<TAB>test logloss. Only fit() is timed, as only the SGD loop is timed on our side, and the
fastest of REPEATS fits counts, as on our side.
"""
import sys
import time

import numpy as np
from sklearn.datasets import load_svmlight_files
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import log_loss

train_file, test_file, epochs, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
X, y, Xt, yt = load_svmlight_files([train_file, test_file], dtype=np.float64)
SETTINGS = {
    "optimal alpha=1e-6": dict(learning_rate="optimal", alpha=1e-6),
    "optimal alpha=1e-5": dict(learning_rate="optimal", alpha=1e-5),
    "invscaling eta0=0.1": dict(learning_rate="invscaling", eta0=0.1, alpha=1e-6),
    "adaptive eta0=0.05": dict(learning_rate="adaptive", eta0=0.05, alpha=1e-6),
}
for name, params in SETTINGS.items():
    seconds = float("inf")
    for _ in range(repeats):
        model = SGDClassifier(loss="log_loss", max_iter=epochs, tol=None, shuffle=False, random_state=0, **params)
        start = time.perf_counter()
        model.fit(X, y)
        seconds = min(seconds, time.perf_counter() - start)
    p = np.clip(model.predict_proba(Xt)[:, 1], 1e-15, 1 - 1e-15)
    print(f"{name}\t{seconds:.4f}\t{log_loss(yt, p):.6f}", flush=True)
