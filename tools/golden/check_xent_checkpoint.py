#!/usr/bin/env python3
"""Loads a Xent-written MnistCnn checkpoint into PyTorch's MNISTModel and compares outputs (a manual check).

    dotnet run --project examples/MnistCnn -c Release -- --export /tmp/xent-export
    /usr/bin/python3 tools/golden/check_xent_checkpoint.py /tmp/xent-export

Reads DIR/model.safetensors with a small reader of the safetensors layout written here (no `safetensors`
package needed), loads it with load_state_dict(strict=True), runs DIR/input.npy in eval mode and compares
with DIR/logits.npy (Xent's output). Exit status 0 when they agree to rtol 1e-4, atol 1e-5.
"""
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_models import MNISTModel  # noqa: E402

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8, "BOOL": np.bool_}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        a = np.frombuffer(data[base + begin:base + end], dtype=np.dtype(DTYPES[info["dtype"]]).newbyteorder("<"))
        tensors[name] = torch.from_numpy(a.reshape(info["shape"]).copy())
    return tensors, metadata


def main(directory):
    tensors, metadata = read_safetensors(os.path.join(directory, "model.safetensors"))
    print("metadata:", metadata)
    print("tensors:", {k: tuple(v.shape) for k, v in tensors.items()})
    model = MNISTModel()
    model.load_state_dict(tensors, strict=True)
    model.eval()
    x = torch.from_numpy(np.load(os.path.join(directory, "input.npy")))
    expected = np.load(os.path.join(directory, "logits.npy"))
    with torch.no_grad():
        out = model(x).numpy()
    diff = np.abs(out - expected)
    ok = np.allclose(out, expected, rtol=1e-4, atol=1e-5)
    print(f"max |torch - xent| = {diff.max():.3e}, max relative = {(diff / np.maximum(np.abs(expected), 1e-12)).max():.3e}")
    print("MATCH" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
