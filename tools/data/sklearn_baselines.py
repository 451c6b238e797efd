#!/usr/bin/python3
"""scikit-learn's LogisticRegression and MLPClassifier on the same split as an `xent train` run.

Reads the CSV that xent trained on and the run's split.csv (index,set: which rows trained and which were held out),
standardises with statistics of the training rows only (StandardScaler, as xent does), fits both models on the
training rows and prints their accuracy on the held-out rows:

    /usr/bin/python3 tools/data/sklearn_baselines.py data/iris.csv runs/iris/split.csv --target label
"""
import argparse
import csv
import json

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv")
    ap.add_argument("split")
    ap.add_argument("--target", default="label")
    args = ap.parse_args()
    with open(args.csv, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    t = header.index(args.target)
    x = np.array([[float(v) for i, v in enumerate(r) if i != t] for r in body])
    y = np.array([r[t] for r in body])
    with open(args.split, newline="") as f:
        sets = {int(r["index"]): r["set"] for r in csv.DictReader(f)}
    train = np.array([sets[i] == "train" for i in range(len(body))])
    scaler = StandardScaler().fit(x[train])
    xs = scaler.transform(x)
    result = {"train": int(train.sum()), "test": int((~train).sum())}
    models = {
        "logistic_regression": LogisticRegression(max_iter=5000),
        "mlp_classifier": MLPClassifier(max_iter=2000, random_state=0),
    }
    for name, model in models.items():
        model.fit(xs[train], y[train])
        result[name] = float((model.predict(xs[~train]) == y[~train]).mean())
    print(json.dumps(result))


if __name__ == "__main__":
    main()
