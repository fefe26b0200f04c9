#!/usr/bin/env python3
"""Handwritten-digit classifier (scikit-learn logistic regression) tracked with the Trackside client.

Sweep the regularisation strength and compare the runs:

    trackside run -- python demo/train_digits.py --C 0.1
    trackside run -- python demo/train_digits.py --C 1.0
"""
import argparse
import csv
import os
import pickle
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

import trackside as ts

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data", "digits.csv")
MODELS = os.path.join(HERE, "models")


def load_digits_csv(path):
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    values = np.array(rows[1:], dtype=np.float64)
    return values[:, :-1], values[:, -1].astype(int)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--C", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument("--max-iter", type=int, default=200, help="solver iterations in total")
    parser.add_argument("--test-size", type=float, default=0.25)
    parser.add_argument("--steps", type=int, default=10, help="checkpoints at which metrics are logged")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    ts.log_params(vars(args))
    ts.set_tag("model", "logistic-regression")
    ts.log_input(DATA)

    features, labels = load_digits_csv(DATA)
    x_train, x_test, y_train, y_test = train_test_split(
        features, labels, test_size=args.test_size, random_state=args.seed, stratify=labels
    )

    # warm_start continues the same solver, so each step adds max_iter/steps iterations and the
    # logged curve shows the fit converging. The scaling is part of the pickled pipeline, so a
    # deployed model takes raw pixel values (0-16), as the CSV and live requests hold them.
    chunk = max(1, args.max_iter // args.steps)
    model = make_pipeline(MinMaxScaler(), LogisticRegression(C=args.C, max_iter=chunk, warm_start=True))
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    for step in range(1, args.steps + 1):
        model.fit(x_train, y_train)
        ts.log_metrics(
            {
                "train_loss": log_loss(y_train, model.predict_proba(x_train), labels=model.classes_),
                "val_loss": log_loss(y_test, model.predict_proba(x_test), labels=model.classes_),
                "val_acc": accuracy_score(y_test, model.predict(x_test)),
            },
            step=step * chunk,
        )

    predictions = model.predict(x_test)
    accuracy = accuracy_score(y_test, predictions)
    macro_f1 = f1_score(y_test, predictions, average="macro")
    ts.log_metrics({"test_acc": accuracy, "test_f1": macro_f1})
    print("C=%g test accuracy %.4f, macro F1 %.4f" % (args.C, accuracy, macro_f1))

    os.makedirs(MODELS, exist_ok=True)
    model_path = os.path.join(MODELS, "digits-logreg-C%g.pkl" % args.C)
    with open(model_path, "wb") as handle:
        pickle.dump(model, handle)
    ts.log_model(model_path, name="digits-logreg")
    print("saved %s" % os.path.relpath(model_path))


if __name__ == "__main__":
    main()
