#!/usr/bin/env python3
"""Times PyTorch 1.13 (Debian's python3-torch, 2 threads) on the work `xent bench` measures.

Prints one JSON object per line: {"bench": ..., "median_ms": ..., ...}. Used by bench/compare-pytorch.
Usage: pytorch_bench.py [NAME [INT ...]] ...   (no argument: all benchmarks at their default sizes)
  NAME alone runs its default sizes; NAME followed by integers runs that one size:
  ce N C | copy N C | gemm S | linear | train [BATCHES] | eval | linear-ce N D V
  train-data [BATCHES] | eval-data   (Fashion-MNIST from $FASHION_MNIST_DIR, default /usr/share/datasets/fashion-mnist:
                                      the loops `xent train --epochs 1 --limit-batches BATCHES` and `xent eval` run, for peak RSS)
"""
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from torch_models import MNISTModel  # noqa: E402

torch.set_num_threads(2)
torch.manual_seed(0)


def median_ms(fn, repeats, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def emit(**kw):
    print(json.dumps(kw), flush=True)


def ce(n, c, repeats=9):
    x = torch.randn(n, c, requires_grad=True)
    t = torch.randint(0, c, (n,))

    def step():
        x.grad = None
        F.cross_entropy(x, t).backward()

    emit(bench="ce", n=n, c=c, median_ms=median_ms(step, repeats))


def gemm(size, repeats=5):
    a = torch.randn(size, size)
    b = torch.randn(size, size)
    ms = median_ms(lambda: torch.mm(a, b), repeats)
    emit(bench="gemm", size=size, median_ms=ms, gflops=2 * size ** 3 / (ms * 1e6))


class SimpleModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(784, 10)

    def forward(self, x):
        return self.linear(x)


def linear(repeats=200):
    model = SimpleModel()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    crit = nn.CrossEntropyLoss()
    x = torch.randn(100, 784)
    t = torch.randint(0, 10, (100,))

    def step():
        opt.zero_grad()
        crit(model(x), t).backward()
        opt.step()

    emit(bench="linear", median_ms=median_ms(step, repeats, warmup=20))


def train(batches=20):
    import warnings
    warnings.filterwarnings("ignore")
    model = MNISTModel().train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    crit = nn.CrossEntropyLoss()
    x = torch.randn(64, 1, 28, 28)
    t = torch.randint(0, 10, (64,))

    def step():
        opt.zero_grad()
        crit(model(x), t).backward()
        opt.step()

    ms = median_ms(step, batches, warmup=3)
    emit(bench="train", batch_size=64, median_ms=ms, samples_per_s=64 / ms * 1000)


def evaluate(repeats=3):
    model = MNISTModel().eval()
    x = torch.randn(10000, 1, 28, 28)

    def run():
        with torch.no_grad():
            for i in range(0, 10000, 1000):
                model(x[i:i + 1000]).argmax(1)

    ms = median_ms(run, repeats, warmup=1)
    emit(bench="eval", images=10000, median_ms=ms, samples_per_s=10000 / ms * 1000)


def linear_ce(n, d, v, repeats=3):
    h = torch.randn(n, d, requires_grad=True)
    w = (torch.randn(v, d) * 0.02).requires_grad_()
    t = torch.randint(0, v, (n,))

    def step():
        h.grad = None
        w.grad = None
        F.cross_entropy(h @ w.T, t).backward()

    emit(bench="linear-ce", n=n, d=d, v=v, median_ms=median_ms(step, repeats, warmup=1))


def copy_bytes(n, c, repeats=9):
    src = torch.randn(n, c)
    dst = torch.empty_like(src)
    emit(bench="copy", n=n, c=c, median_ms=median_ms(lambda: dst.copy_(src), repeats))


def load_idx(name):
    import gzip
    import numpy as np
    root = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
    path = os.path.join(root, name)
    gz = os.path.exists(path + ".gz")
    with (gzip.open(path + ".gz") if gz else open(path, "rb")) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return torch.from_numpy(np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape).copy())


def images(name):
    # As the PyTorch MNIST tutorial's transforms: to [0, 1], then standardised, as (N, 1, 28, 28) float32.
    x = load_idx(name).float().div_(255).unsqueeze(1)
    return (x - 0.2860) / 0.3530


def test_pass(model, x, t, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == t[i:i + batch]).sum().item()
    return correct


def train_data(batches=200):
    """`xent train --epochs 1 --limit-batches BATCHES`: the tutorial's CNN, Adam lr 1e-3, batch 64, then the test pass at batch 1000."""
    import warnings
    warnings.filterwarnings("ignore")
    t0 = time.perf_counter()
    x, t = images("train-images-idx3-ubyte"), load_idx("train-labels-idx1-ubyte").long()
    tx, tt = images("t10k-images-idx3-ubyte"), load_idx("t10k-labels-idx1-ubyte").long()
    model = MNISTModel().train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = torch.randperm(len(x))
    for b in range(batches):
        idx = order[b * 64:(b + 1) * 64]
        opt.zero_grad()
        F.cross_entropy(model(x[idx]), t[idx]).backward()
        opt.step()
    correct = test_pass(model, tx, tt)
    emit(bench="train-data", batches=batches, median_ms=(time.perf_counter() - t0) * 1000, test_correct=correct)


def eval_data():
    """`xent eval`: the 10,000 test images through the tutorial's CNN in eval mode, batch 1000."""
    import warnings
    warnings.filterwarnings("ignore")
    t0 = time.perf_counter()
    tx, tt = images("t10k-images-idx3-ubyte"), load_idx("t10k-labels-idx1-ubyte").long()
    correct = test_pass(MNISTModel(), tx, tt)
    emit(bench="eval-data", median_ms=(time.perf_counter() - t0) * 1000, test_correct=correct)


ALL = {
    "ce": lambda: [ce(1024, 32000), ce(256, 128256), ce(8192, 10), copy_bytes(1024, 32000)],
    "copy": lambda: [copy_bytes(1024, 32000), copy_bytes(256, 128256)],
    "gemm": lambda: [gemm(1024), gemm(2048)],
    "linear": linear,
    "train": train,
    "eval": evaluate,
    "linear-ce": lambda: linear_ce(1024, 512, 32000),
    "train-data": train_data,
    "eval-data": eval_data,
}

SIZED = {"ce": ce, "copy": copy_bytes, "gemm": gemm, "train": train, "linear-ce": linear_ce, "train-data": train_data}


def main(argv):
    if not argv:
        argv = list(ALL)
    i = 0
    while i < len(argv):
        name = argv[i]
        j = i + 1
        while j < len(argv) and argv[j].lstrip("-").isdigit():
            j += 1
        params = [int(a) for a in argv[i + 1:j]]
        if name not in ALL and name not in SIZED:
            sys.exit(f"pytorch_bench.py: unknown benchmark '{name}' (known: {', '.join(sorted(set(ALL) | set(SIZED)))})")
        if params:
            SIZED[name](*params)
        else:
            ALL[name]()
        i = j


if __name__ == "__main__":
    main(sys.argv[1:])
