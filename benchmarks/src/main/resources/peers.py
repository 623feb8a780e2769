"""The Python peers of the peers benchmark, on the same LIBSVM train/test files.

Usage: peers.py TRAIN TEST SECONDS C, with C liblinear's best regularisation on these rows. Prints one line per evaluation: peer<TAB>seconds<TAB>test logloss, seconds
counted from the start of that peer's fitting (loading the files is not counted). A peer whose library is missing
prints peer<TAB>not installed<TAB>the import error.
"""
import sys
import time

train_file, test_file, budget, c = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])

SGD = 'scikit-learn SGDClassifier(loss="log_loss")'
LIBLINEAR = 'scikit-learn LogisticRegression(solver="liblinear", C of liblinear-train)'
XGBOOST = "xgboost gblinear"

try:
    import numpy as np
    from sklearn.datasets import load_svmlight_files
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.metrics import log_loss
except ImportError as e:
    for peer in (SGD, LIBLINEAR, XGBOOST):
        print(f"{peer}\tnot installed\t{e}", flush=True)
    sys.exit(0)

X, y, Xt, yt = load_svmlight_files([train_file, test_file], dtype=np.float64)  # one feature count for both


def loss(p):
    return log_loss(yt, np.clip(p, 1e-15, 1 - 1e-15), labels=[0, 1])


class Clock:
    """A peer's training time: wall time since it started, less the time spent evaluating it."""

    def __init__(self):
        self.start = time.perf_counter()
        self.evaluating = 0.0

    def seconds(self):
        return time.perf_counter() - self.start - self.evaluating

    def report(self, peer, probabilities):
        """Evaluates, prints the point at the training time before the evaluation, and leaves it uncounted."""
        at = self.seconds()
        began = time.perf_counter()
        value = loss(probabilities())
        self.evaluating += time.perf_counter() - began
        print(f"{peer}\t{at:.3f}\t{value:.6f}", flush=True)


# SGD: one epoch per partial_fit, evaluated after each, until the time budget is spent.
model = SGDClassifier(loss="log_loss", alpha=1e-5, random_state=0)
clock = Clock()
while clock.seconds() < budget:
    model.partial_fit(X, y, classes=[0, 1])
    clock.report(SGD, lambda: model.predict_proba(Xt)[:, 1])

# liblinear through scikit-learn: one exact fit at the C liblinear-train found best.
clock = Clock()
lr = LogisticRegression(solver="liblinear", C=c)
lr.fit(X, y)
clock.report(LIBLINEAR, lambda: lr.predict_proba(Xt)[:, 1])

try:
    import xgboost as xgb
except ImportError as e:
    print(f"{XGBOOST}\tnot installed\t{e}", flush=True)
    sys.exit(0)

train = xgb.DMatrix(X, label=y)
test = xgb.DMatrix(Xt, label=yt)


class Budget(xgb.callback.TrainingCallback):
    """Reports each round's held-out logloss at its time, and stops training once the budget is spent."""

    def __init__(self):
        self.start = time.perf_counter()

    def after_iteration(self, model, epoch, evals_log):
        seconds = time.perf_counter() - self.start
        print(f"{XGBOOST}\t{seconds:.3f}\t{evals_log['test']['logloss'][-1]:.6f}", flush=True)
        return seconds >= budget


params = {"booster": "gblinear", "objective": "binary:logistic", "eval_metric": "logloss", "eta": 0.5,
          "lambda": 1e-4, "nthread": 2}
xgb.train(params, train, num_boost_round=1000, evals=[(test, "test")], verbose_eval=False, callbacks=[Budget()])
