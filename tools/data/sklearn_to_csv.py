#!/usr/bin/python3
"""Writes the small datasets Debian's python3-sklearn ships (iris, wine, breast cancer, digits) as plain CSV files
with a header row and a string label column `label`, the format `xent train --data FILE.csv --target label` reads.

sklearn's own files start with a line of counts and class names instead of a header (and digits is gzipped), so
they are read through sklearn.datasets.load_* and written back out. Run with Debian's interpreter:

    /usr/bin/python3 tools/data/sklearn_to_csv.py OUT_DIR
"""
import argparse
import csv
import os

from sklearn import datasets

LOADERS = {
    "iris": datasets.load_iris,
    "wine": datasets.load_wine,
    "breast_cancer": datasets.load_breast_cancer,
    "digits": datasets.load_digits,
}


def main(out):
    os.makedirs(out, exist_ok=True)
    for name, load in LOADERS.items():
        d = load()
        names = [str(n) for n in d.target_names]
        features = [str(f).replace(" (cm)", "_cm").replace(" ", "_") for f in d.feature_names]
        path = os.path.join(out, name + ".csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(features + ["label"])
            for x, y in zip(d.data, d.target):
                w.writerow([repr(float(v)) for v in x] + [names[y]])
        print(f"{path}: {d.data.shape[0]} rows, {d.data.shape[1]} features, {len(names)} classes")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Write scikit-learn's bundled datasets as CSV files that xent train reads.")
    parser.add_argument("out_dir", nargs="?", default="data/sklearn", help="folder for the CSV files (default: data/sklearn)")
    main(parser.parse_args().out_dir)
