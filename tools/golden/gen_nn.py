#!/usr/bin/env python3
"""Golden values for Xent's layers (F.linear, F.conv2d, F.max_pool2d) and a PyTorch-written MNIST checkpoint.

Run with Debian's PyTorch 1.13:  /usr/bin/python3 tools/golden/gen_nn.py
Writes tools/golden/data/nn/:
  cases.json                      every case's parameters, plus PyTorch's error messages for bad shapes
  <case>_{x,w,b,r,out,gx,gw,gb}.npy  inputs, upstream gradient r, output, and gradients of sum(out * r)
  mnist_model.safetensors.gz      the tutorial's MNISTModel state_dict, safetensors written by hand below
  mnist_input.npy, mnist_logits.npy  a fixed (4, 1, 28, 28) batch and the model's eval-mode logits

The full model's fc1.weight (128x9216 float32) alone is 4.7 MB, over the 2 MB budget of golden data, so that
one tensor is rounded to multiples of 2**-9 before saving (after torch's default init; 11 distinct values),
which gzip packs tightly. The checkpoint is still an ordinary float32 safetensors file and the logits are
PyTorch's on exactly those weights.
"""
import gzip
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_models import MNISTModel  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "nn")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(20240601)
cases = {"linear": [], "conv2d": [], "max_pool2d": [], "errors": {}}


def save(name, t):
    a = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(a.astype(np.float32)))


def run(name, fn, x, w=None, b=None):
    """Forward fn, then backward sum(out * r) with a random r; saves everything under name_*."""
    tensors = {"x": x, "w": w, "b": b}
    for t in tensors.values():
        if t is not None:
            t.requires_grad_(True)
    out = fn(x, w, b)
    r = torch.randn(out.shape)
    (out * r).sum().backward()
    for key, t in tensors.items():
        if t is not None:
            save(f"{name}_{key}", t)
            save(f"{name}_g{key}", t.grad)
    save(f"{name}_out", out)
    save(f"{name}_r", r)


# ---- linear: batch 2-D, extra leading dims without bias, 1-D input ----
for name, xs, (o, i), bias in [("linear_2d", (5, 7), (4, 7), True),
                               ("linear_3d_nobias", (2, 3, 6), (5, 6), False),
                               ("linear_1d", (7,), (3, 7), True)]:
    x = torch.randn(*xs); w = torch.randn(o, i) * 0.5; b = torch.randn(o) if bias else None
    run(name, lambda x, w, b: F.linear(x, w, b), x, w, b)
    cases["linear"].append({"name": name, "bias": bias})

# ---- conv2d: several batches, stride 2, padding 1, non-square kernels, 1x1, unbatched ----
conv_cases = [
    # name, input shape, (cout, kh, kw), stride, padding, bias
    ("conv_basic", (2, 3, 7, 6), (4, 3, 3), (1, 1), (0, 0), True),
    ("conv_rect_s2_p1", (2, 2, 8, 9), (3, 3, 2), (2, 1), (1, 0), True),
    ("conv_s2_p1_nobias", (3, 1, 5, 5), (2, 3, 3), (2, 2), (1, 1), False),
    ("conv_1x1", (2, 4, 3, 3), (5, 1, 1), (1, 1), (0, 0), True),
    ("conv_unbatched", (3, 6, 6), (2, 2, 3), (1, 2), (0, 1), True),
    ("conv_wide_pad", (1, 2, 4, 5), (3, 3, 3), (1, 1), (2, 1), True),
]
for name, xs, (co, kh, kw), s, p, bias in conv_cases:
    cin = xs[-3]
    x = torch.randn(*xs); w = torch.randn(co, cin, kh, kw) * 0.3; b = torch.randn(co) if bias else None
    run(name, lambda x, w, b, s=s, p=p: F.conv2d(x, w, b, stride=s, padding=p), x, w, b)
    cases["conv2d"].append({"name": name, "stride": list(s), "padding": list(p), "bias": bias})

# ---- max_pool2d: ties (small integers), overlapping windows with padding, rectangular, unbatched ----
pool_cases = [
    # name, input, kernel, stride (None: = kernel), padding
    ("pool_ties_k2", torch.randint(0, 3, (2, 3, 6, 6)).float(), (2, 2), None, (0, 0)),
    ("pool_ties_k3_s2_p1", torch.randint(0, 2, (1, 2, 7, 7)).float(), (3, 3), (2, 2), (1, 1)),
    ("pool_rect", torch.randn(2, 2, 5, 6), (2, 3), (1, 2), (0, 0)),
    ("pool_unbatched_odd", torch.randn(3, 5, 5), (2, 2), None, (0, 0)),
    ("pool_neg_pad", -torch.rand(1, 1, 4, 4) - 1, (2, 2), (1, 1), (1, 1)),
]
for name, x, k, s, p in pool_cases:
    run(name, lambda x, w, b, k=k, s=s, p=p: F.max_pool2d(x, k, s, p), x)
    cases["max_pool2d"].append({"name": name, "kernel": list(k), "stride": list(s) if s else None, "padding": list(p)})


def error(name, fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - we record whatever PyTorch says
        cases["errors"][name] = str(e).split("\n")[0]
    else:
        raise AssertionError(name + " did not fail")


error("linear_mismatch", lambda: F.linear(torch.ones(64, 9216), torch.ones(128, 9200)))
error("linear_mismatch_3d", lambda: F.linear(torch.ones(2, 3, 9216), torch.ones(128, 9200)))
error("conv_rank", lambda: F.conv2d(torch.ones(64, 28, 28, 1, 1), torch.ones(32, 1, 3, 3)))
error("conv_channels", lambda: F.conv2d(torch.ones(64, 3, 28, 28), torch.ones(32, 1, 3, 3)))
error("conv_kernel_too_big", lambda: F.conv2d(torch.ones(64, 1, 2, 2), torch.ones(32, 1, 3, 3)))
error("conv_bias", lambda: F.conv2d(torch.ones(64, 1, 8, 8), torch.ones(32, 1, 3, 3), torch.ones(31)))
error("pool_too_small", lambda: F.max_pool2d(torch.ones(1, 1, 1, 1), 2))
error("dropout_p", lambda: F.dropout(torch.ones(1), 1.5))


# ---- the tutorial's MNISTModel (tools/torch_models.py), written as safetensors by hand ----
def write_safetensors(path, tensors, metadata):
    """The safetensors layout: u64 LE header size, JSON header (space-padded to 8 bytes), raw LE data."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        dtype = {np.dtype("float32"): "F32", np.dtype("int64"): "I64"}[a.dtype]
        raw = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    data = struct.pack("<Q", len(h)) + h + b"".join(blobs)
    with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as f:
        f.write(data)


torch.manual_seed(0)
model = MNISTModel()
with torch.no_grad():
    model.fc1.weight.copy_(torch.round(model.fc1.weight * 512) / 512)
model.eval()
state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
write_safetensors(os.path.join(OUT, "mnist_model.safetensors.gz"), state, {"format": "pt", "source": "tools/golden/gen_nn.py"})
x = torch.rand(4, 1, 28, 28)
with torch.no_grad():
    logits = model(x)
save("mnist_input", x)
save("mnist_logits", logits)

with open(os.path.join(OUT, "cases.json"), "w") as f:
    json.dump(cases, f, indent=1)
print("wrote", OUT, "total bytes:", sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT)))
