#!/usr/bin/env python3
"""Golden values for Xent's activations beyond ReLU, computed by PyTorch 1.13 (Debian's python3-torch).

Run: /usr/bin/python3 tools/golden/gen_activations.py
Writes tools/golden/data/activations/<case>_{x,r,out,grad}.npy: the input (with exact zeros, so the
x = 0 branch is covered), an upstream gradient r, the output and d sum(out * r) / dx.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "activations")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(17)


def save(name, t):
    a = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(a.astype(np.float32)))


def case(name, fn, shape):
    x = torch.randn(*shape)
    x.view(-1)[::7] = 0.0
    x.requires_grad_()
    out = fn(x)
    r = torch.randn(*out.shape)
    (out * r).sum().backward()
    for suffix, t in (("x", x), ("r", r), ("out", out), ("grad", x.grad)):
        save(f"{name}_{suffix}", t)


case("leaky_relu_default", lambda x: F.leaky_relu(x), (4, 37))
case("leaky_relu_0.2", lambda x: F.leaky_relu(x, 0.2), (2, 3, 5, 7))
case("leaky_relu_negative_slope", lambda x: F.leaky_relu(x, -1.5), (50,))
print("wrote", len(os.listdir(OUT)), "files to", OUT)
