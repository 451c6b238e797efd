#!/usr/bin/env python3
"""Writes the golden files of `xent eval` on a PyTorch-written checkpoint, under tools/golden/data/train/
(run with Debian's python3 that has torch: `/usr/bin/python3 tools/golden/gen_train.py`; needs the
dataset-fashion-mnist package for the images).

- t10k-images-idx3-ubyte / t10k-labels-idx1-ubyte: the first 200 Fashion-MNIST test images (raw IDX).
- torch_linear.safetensors: a plain state dict (`linear.weight`, `linear.bias`, no optimizer entries, no
  Xent metadata) of a 784→10 linear classifier that PyTorch trained for 300 Adam steps on the training set.
- torch_linear_eval.json: what PyTorch computes on those 200 images with the PyTorch tutorial's transform
  (ToTensor, Normalize(0.1307, 0.3081)): correct, total, accuracy and mean cross-entropy (float64).
"""
import gzip
import json
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import safetensors_py

DATA = "/usr/share/datasets/fashion-mnist"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "train")
N = 200


def read_idx(name):
    with gzip.open(os.path.join(DATA, name + ".gz"), "rb") as f:
        raw = f.read()
    nd = raw[3]
    dims = struct.unpack(">" + "I" * nd, raw[4:4 + 4 * nd])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def write_idx(path, array):
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 0x08, array.ndim]) + struct.pack(">" + "I" * array.ndim, *array.shape))
        f.write(np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def prep(x):
    # torchvision's ToTensor then Normalize, in float32.
    return (torch.from_numpy(x.copy()).float().div(255.0).unsqueeze(1) - 0.1307) / 0.3081


class SimpleModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(784, 10)

    def forward(self, x):
        return self.linear(torch.flatten(x, 1))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    xtr = prep(read_idx("train-images-idx3-ubyte"))
    ytr = torch.from_numpy(read_idx("train-labels-idx1-ubyte").astype(np.int64))
    images, labels = read_idx("t10k-images-idx3-ubyte")[:N], read_idx("t10k-labels-idx1-ubyte")[:N]
    write_idx(os.path.join(OUT, "t10k-images-idx3-ubyte"), images)
    write_idx(os.path.join(OUT, "t10k-labels-idx1-ubyte"), labels)

    model = SimpleModel()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    perm = torch.randperm(len(ytr))
    for b in range(300):
        i = perm[b * 64:(b + 1) * 64]
        opt.zero_grad()
        F.cross_entropy(model(xtr[i]), ytr[i]).backward()
        opt.step()
    safetensors_py.save(dict(model.state_dict()), os.path.join(OUT, "torch_linear.safetensors"))

    model.eval()
    with torch.no_grad():
        logits = model(prep(images))
    y = torch.from_numpy(labels.astype(np.int64))
    correct = int((logits.argmax(1) == y).sum())
    result = {"correct": correct, "total": N, "accuracy": correct / N,
              "mean_ce": float(F.cross_entropy(logits.double(), y))}
    with open(os.path.join(OUT, "torch_linear_eval.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(result)


if __name__ == "__main__":
    main()
