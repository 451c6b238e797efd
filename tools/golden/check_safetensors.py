#!/usr/bin/env python3
"""Loads files written by Xent (tools/golden/xent_write_interop.cs) with torch and numpy and checks every
value. Run with Debian's python3 (`/usr/bin/python3 tools/golden/check_safetensors.py OUTDIR`).

- state_dict_roundtrip.safetensors: parsed with the hand-written torch.frombuffer loader, loaded into the
  same nn.Module gen_io.py built (load_state_dict(strict=True)) and compared with a fresh torch.manual_seed(0)
  instance, tensor by tensor.
- fresh.safetensors and fresh_*.npy: compared with values recomputed here from the formulas.
"""
import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_py  # noqa: E402


def expected_fresh():
    return {
        "f32": torch.tensor([(i - 3) * 0.5 for i in range(24)], dtype=torch.float32).reshape(2, 3, 4),
        "f64": torch.tensor([i / 3.0 for i in range(5)], dtype=torch.float64),
        "i64": torch.tensor([-2**63, -100, 0, 7, 2**63 - 1], dtype=torch.int64),
        "i32": torch.tensor([[-2**31, -1, 0], [1, 2**31 - 1, 42]], dtype=torch.int32),
        "u8": torch.tensor([0, 1, 254, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(2.75, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
    }


def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)


def main(out_dir):
    failures = []

    tensors, meta = safetensors_py.load(os.path.join(out_dir, "state_dict_roundtrip.safetensors"))
    torch.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)
            self.fc = nn.Linear(4, 3)

    reference = Net().state_dict()
    model = Net()
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    model.load_state_dict({k: tensors[k] for k in reference}, strict=True)
    for k, v in reference.items():
        if not same(model.state_dict()[k], v):
            failures.append(f"state dict {k}")
    extras = {"step": torch.tensor(12345678901), "targets": torch.tensor([3, 0, -100, 2]),
              "mask": torch.tensor([[1, 0, 1]], dtype=torch.int32), "scale": torch.tensor([0.1, -2.5], dtype=torch.float64)}
    for k, v in extras.items():
        if not same(tensors[k], v):
            failures.append(f"state dict {k}: {tensors[k]} != {v}")
    if meta != {"format": "pt", "writer": "xent"}:
        failures.append(f"metadata {meta}")
    # The loaded module computes what the original does.
    torch.manual_seed(0)
    original = Net()
    x = torch.arange(16, dtype=torch.float32).reshape(1, 1, 4, 4)
    with torch.no_grad():
        if not torch.equal(model.conv(x), original.conv(x)) or not torch.equal(model.fc(x[0, 0]), original.fc(x[0, 0])):
            failures.append("forward outputs differ")

    fresh, _ = safetensors_py.load(os.path.join(out_dir, "fresh.safetensors"))
    for name, want in expected_fresh().items():
        if not same(fresh[name], want):
            failures.append(f"fresh.safetensors {name}: {fresh[name]} != {want}")
        arr = np.load(os.path.join(out_dir, f"fresh_{name}.npy"))
        if not same(torch.from_numpy(arr), want):
            failures.append(f"fresh_{name}.npy: {arr!r} != {want}")

    print(f"checked {len(tensors)} state-dict tensors, {len(fresh)} safetensors + {len(fresh)} npy arrays")
    if failures:
        print("FAILURES:\n  " + "\n  ".join(failures))
        return 1
    print("OK: torch/numpy read every Xent-written value exactly")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/xent-interop"))
