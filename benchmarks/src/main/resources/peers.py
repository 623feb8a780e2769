"""The Python peers of the peers and models benchmarks, on the same LIBSVM train/test files.

Usage: peers.py TRAIN TEST SECONDS [--model logistic|hinge|squared_hinge|multinomial] [--classes K] [--alpha A]
[--liblinear-c C]

The peers of a model: scikit-learn's SGDClassifier on its loss (log_loss for both logistic regressions; one-vs-rest
for K classes, SGDClassifier having no softmax loss), one epoch per partial_fit until the time budget or scikit-learn's
own cap on epochs (max_iter) is spent, its L2 penalty alpha (scikit-learn's default unless given); with --liblinear-c,
scikit-learn's LogisticRegression(solver="liblinear") fitted once at that C, liblinear's best on these rows; and for the
logistic regressions xgboost's gblinear (binary:logistic, multi:softprob).

Prints one line per evaluation: peer<TAB>seconds<TAB>test loss, the model's own (log loss; the hinge or squared hinge
loss of the margins, labels 0/1 taken as -1/+1; multinomial log loss), seconds counted from the start of that peer's
fitting (loading the files is not counted). A peer whose library is missing prints peer<TAB>not installed<TAB>the
import error.
"""
import argparse
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("train")
parser.add_argument("test")
parser.add_argument("seconds", type=float)
parser.add_argument("--model", choices=["logistic", "hinge", "squared_hinge", "multinomial"], default="logistic")
parser.add_argument("--classes", type=int, default=2)
parser.add_argument("--alpha", type=float, default=1e-4)
parser.add_argument("--liblinear-c", type=float)
args = parser.parse_args()
budget = args.seconds
multinomial = args.model == "multinomial"
classes = list(range(args.classes))

SGD_LOSS = "log_loss" if args.model in ("logistic", "multinomial") else args.model
SGD = f'scikit-learn SGDClassifier(loss="{SGD_LOSS}")' + (", one-vs-rest" if multinomial else "")
LIBLINEAR = 'scikit-learn LogisticRegression(solver="liblinear", C of liblinear-train)'
XGBOOST = "xgboost gblinear" + (" (multi:softprob)" if multinomial else "")
with_xgboost = args.model in ("logistic", "multinomial")

try:
    import numpy as np
    from sklearn.datasets import load_svmlight_files
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.metrics import log_loss
except ImportError as e:
    for peer in [SGD] + [LIBLINEAR] * (args.liblinear_c is not None) + [XGBOOST] * with_xgboost:
        print(f"{peer}\tnot installed\t{e}", flush=True)
    sys.exit(0)

X, y, Xt, yt = load_svmlight_files([args.train, args.test], dtype=np.float64)  # one feature count for both


def test_loss(model):
    """The fitted scikit-learn model's loss on the test rows, in the loss of the model it is a peer of."""
    if args.model == "logistic":
        return log_loss(yt, np.clip(model.predict_proba(Xt)[:, 1], 1e-15, 1 - 1e-15), labels=classes)
    if multinomial:
        return log_loss(yt, model.predict_proba(Xt), labels=classes)
    gaps = np.maximum(0, 1 - np.where(yt > 0.5, 1.0, -1.0) * model.decision_function(Xt))
    return float(np.mean(gaps ** 2 if args.model == "squared_hinge" else gaps))


class Clock:
    """A peer's training time: wall time since it started, less the time spent evaluating it."""

    def __init__(self):
        self.start = time.perf_counter()
        self.evaluating = 0.0

    def seconds(self):
        return time.perf_counter() - self.start - self.evaluating

    def report(self, peer, model):
        """Evaluates, prints the point at the training time before the evaluation, and leaves it uncounted."""
        at = self.seconds()
        began = time.perf_counter()
        value = test_loss(model)
        self.evaluating += time.perf_counter() - began
        print(f"{peer}\t{at:.3f}\t{value:.6f}", flush=True)


# SGD: one epoch per partial_fit, evaluated after each.
model = SGDClassifier(loss=SGD_LOSS, alpha=args.alpha, random_state=0)
clock = Clock()
for _ in range(model.max_iter):
    if clock.seconds() >= budget:
        break
    model.partial_fit(X, y, classes=classes)
    clock.report(SGD, model)

if args.liblinear_c is not None:
    # liblinear through scikit-learn: one exact fit at the C liblinear-train found best.
    clock = Clock()
    lr = LogisticRegression(solver="liblinear", C=args.liblinear_c)
    lr.fit(X, y)
    clock.report(LIBLINEAR, lr)

if not with_xgboost:
    sys.exit(0)
try:
    import xgboost as xgb
except ImportError as e:
    print(f"{XGBOOST}\tnot installed\t{e}", flush=True)
    sys.exit(0)

train = xgb.DMatrix(X, label=y)
test = xgb.DMatrix(Xt, label=yt)
metric = "mlogloss" if multinomial else "logloss"


class Budget(xgb.callback.TrainingCallback):
    """Reports each round's test loss at its time, and stops training once the budget is spent."""

    def __init__(self):
        self.start = time.perf_counter()

    def after_iteration(self, model, epoch, evals_log):
        seconds = time.perf_counter() - self.start
        print(f"{XGBOOST}\t{seconds:.3f}\t{evals_log['test'][metric][-1]:.6f}", flush=True)
        return seconds >= budget


params = {"booster": "gblinear", "objective": "binary:logistic", "eval_metric": metric, "eta": 0.5, "lambda": 1e-4,
          "nthread": 2}
if multinomial:
    params.update(objective="multi:softprob", num_class=args.classes)
xgb.train(params, train, num_boost_round=1000, evals=[(test, "test")], verbose_eval=False, callbacks=[Budget()])
