"""Golden values for tests/Xent.Tests/Kernels (max pooling and convolution), computed by PyTorch.

Run from the repository root with Debian's python3-torch:  /usr/bin/python3 tools/golden/gen_kernels.py
Writes tools/golden/data/kernels/*.json. Non-finite floats are written as the strings
"NaN", "Infinity", "-Infinity" (what .NET's float.Parse reads).
"""
import json, math, os
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "data", "kernels")


def enc(t):
    def one(v):
        if math.isnan(v): return "NaN"
        if math.isinf(v): return "Infinity" if v > 0 else "-Infinity"
        return v
    return [one(float(v)) for v in t.reshape(-1).tolist()]


def maxpool_cases():
    g = torch.Generator().manual_seed(0)
    cases = []
    specs = [  # (N, C, H, W, kernel, stride, padding)
        (2, 3, 8, 8, (2, 2), (2, 2), (0, 0)),
        (1, 2, 7, 9, (3, 3), (1, 1), (1, 1)),
        (2, 1, 9, 6, (3, 2), (2, 1), (1, 0)),
        (1, 1, 5, 5, (2, 2), (2, 2), (0, 0)),
    ]
    for n, c, h, w, k, s, p in specs:
        # Small integers make ties common; a few NaN and -inf test the propagation rules.
        x = torch.randint(-2, 3, (n, c, h, w), generator=g).float()
        flat = x.view(-1)
        pos = torch.randperm(flat.numel(), generator=g)
        flat[pos[:3]] = float("nan")
        flat[pos[3:8]] = float("-inf")
        y, idx = F.max_pool2d(x, k, s, p, return_indices=True)
        gy = torch.randn(y.shape, generator=g)
        xr = x.clone().requires_grad_(True)
        yr = F.max_pool2d(xr, k, s, p)
        yr.backward(gy)
        cases.append(dict(shape=[n, c, h, w], kernel=list(k), stride=list(s), padding=list(p),
                          input=enc(x), output=enc(y), indices=idx.reshape(-1).tolist(),
                          grad_output=enc(gy), grad_input=enc(xr.grad)))
    return cases


def conv_cases():
    g = torch.Generator().manual_seed(1)
    cases = []
    specs = [  # (N, Cin, H, W, Cout, kernel, stride, padding, bias)
        (2, 1, 10, 9, 4, (3, 3), (1, 1), (0, 0), True),
        (3, 3, 7, 8, 5, (3, 2), (2, 1), (1, 1), True),
        (2, 4, 6, 6, 3, (1, 1), (1, 1), (0, 0), False),
    ]
    for n, ci, h, w, co, k, s, p, has_bias in specs:
        x = torch.randn(n, ci, h, w, generator=g, requires_grad=True)
        wt = torch.randn(co, ci, *k, generator=g, requires_grad=True)
        b = torch.randn(co, generator=g, requires_grad=True) if has_bias else None
        y = F.conv2d(x, wt, b, s, p)
        gy = torch.randn(y.shape, generator=g)
        y.backward(gy)
        cases.append(dict(shape=[n, ci, h, w], out_channels=co, kernel=list(k), stride=list(s), padding=list(p),
                          input=enc(x.detach()), weight=enc(wt.detach()), bias=enc(b.detach()) if has_bias else [],
                          output=enc(y.detach()), grad_output=enc(gy), grad_input=enc(x.grad),
                          grad_weight=enc(wt.grad), grad_bias=enc(b.grad) if has_bias else []))
    return cases


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    meta = dict(generator="tools/golden/gen_kernels.py", torch=torch.__version__)
    with open(os.path.join(OUT, "maxpool2d.json"), "w") as f:
        json.dump(dict(meta=meta, cases=maxpool_cases()), f)
    with open(os.path.join(OUT, "conv2d.json"), "w") as f:
        json.dump(dict(meta=meta, cases=conv_cases()), f)
