#!/bin/sh
# Trains xent (mlp and linear) on the four scikit-learn CSVs with a stratified 20% held out (seed 1), then fits
# scikit-learn's LogisticRegression and MLPClassifier on the same split (split.csv); prints one JSON line per dataset.
# Usage: tools/data/compare_sklearn.sh [WORK_DIR]   (from the repository root, after `dotnet build src/Xent.Cli -c Release`)
set -e
work=${1:-runs/sklearn}
xent="dotnet src/Xent.Cli/bin/Release/net10.0/Xent.Cli.dll"
/usr/bin/python3 tools/data/sklearn_to_csv.py "$work/data" > /dev/null
for name in iris wine breast_cancer digits; do
  csv="$work/data/$name.csv"
  for model in mlp linear; do
    # Adam's default 1e-3 for the MLP; logistic regression (one layer) needs 1e-2 to converge in 60 short epochs.
    lr=0.001; [ $model = linear ] && lr=0.01
    $xent train --data "$csv" --target label --val-split 0.2 --model $model --epochs 60 --batch-size 16 --lr $lr \
      --lr-schedule cosine --seed 1 --out "$work/$name-$model" > "$work/$name-$model.log" 2>&1
    acc=$(grep '^Test accuracy' "$work/$name-$model.log" | sed 's/Test accuracy: \([0-9.]*\)%.*/\1/')
    echo "$name xent-$model $acc"
  done
  echo "$name sklearn $(/usr/bin/python3 tools/data/sklearn_baselines.py "$csv" "$work/$name-mlp/split.csv")"
done
