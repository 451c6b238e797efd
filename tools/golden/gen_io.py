#!/usr/bin/env python3
"""Writes the IO golden files under tools/golden/data/io/ (run with Debian's python3 that has torch:
`/usr/bin/python3 tools/golden/gen_io.py`).

- npy_*.npy: arrays of every dtype Xent reads, written by numpy itself (incl. 0-d, empty, 3-d, and
  format versions 2.0 and 3.0), with npy_manifest.json listing dtype, shape and the values as text;
  npy_widen_*.npy those Xent reads into a wider type, with npy_widened_manifest.json (the same, and the type read as);
  npy_text_*.npy class names as numpy text, with npy_text_manifest.json.
- bad_*.npy: files Xent must reject (big-endian, complex dtype, a uint64 beyond int64's range, pickled objects).
- idx_tiny-images-idx3-ubyte.gz / idx_tiny-labels-idx1-ubyte: tiny IDX files (MNIST layout) written with
  Python's struct + gzip, with idx_tiny_manifest.json giving shape, labels and the pixel values.
- torch_state_dict.safetensors: a small torch state dict (conv + linear + an int64 counter), written
  with the hand-rolled writer in safetensors_py.py; each tensor is also saved as sd_<name>.npy so the C#
  test compares against values that did not go through safetensors.
"""
import gzip
import json
import math
import struct
import os

import numpy as np
import torch
from torch import nn

import safetensors_py

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "io")


def text(v):
    """Values as JSON-safe text: floats as repr of the exact float64 value, ints as decimal strings."""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "Infinity" if f > 0 else "-Infinity"
        return repr(f)
    return str(int(v))


def main():
    os.makedirs(OUT, exist_ok=True)
    manifest = {}

    def save(name, arr, version=None):
        path = os.path.join(OUT, name)
        if version is None:
            np.save(path, arr)
        else:
            with open(path, "wb") as f:
                np.lib.format.write_array(f, arr, version=version)
        manifest[name] = {"dtype": str(arr.dtype), "shape": list(arr.shape),
                          "values": [text(v) for v in np.asarray(arr).ravel(order="C")]}

    save("npy_f4_2x3.npy", np.array([[1.5, -0.0, 3.4028235e38], [1e-45, np.inf, np.nan]], dtype=np.float32))
    save("npy_f8_3.npy", np.array([0.1, -1e300, 5e-324], dtype=np.float64))
    save("npy_i8_2x2.npy", np.array([[-2**63, 2**63 - 1], [0, -100]], dtype=np.int64))
    save("npy_i4_4.npy", np.array([-2**31, 2**31 - 1, 7, -1], dtype=np.int32))
    save("npy_b1_2x2.npy", np.array([[True, False], [False, True]]))
    save("npy_u1_5.npy", np.array([0, 1, 127, 128, 255], dtype=np.uint8))
    save("npy_f4_scalar.npy", np.array(3.25, dtype=np.float32))
    save("npy_i8_scalar.npy", np.array(-7, dtype=np.int64))
    save("npy_f4_empty_0x3.npy", np.zeros((0, 3), dtype=np.float32))
    rng = np.random.default_rng(1234)
    save("npy_f4_2x3x4.npy", rng.standard_normal((2, 3, 4)).astype(np.float32))
    save("npy_f8_v2.npy", np.linspace(-1, 1, 5), version=(2, 0))
    save("npy_i4_v3.npy", np.arange(6, dtype=np.int32).reshape(3, 2), version=(3, 0))
    # What torch produces for class indices (tensor.numpy() of an int64 target).
    save("npy_torch_targets.npy", torch.tensor([3, 0, 9, -100, 1]).numpy())

    # Column-major, as np.save writes an F-contiguous array (a transposed one, say); read back as arange(6).
    np.save(os.path.join(OUT, "npy_f4_2x3_fortran.npy"), np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
    np.save(os.path.join(OUT, "bad_bigendian.npy"), np.arange(4, dtype=">f4"))
    np.save(os.path.join(OUT, "bad_complex.npy"), np.array([1 + 2j], dtype=np.complex64))

    with open(os.path.join(OUT, "npy_manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)

    # Dtypes Xent widens as it reads them (int8/int16/uint16 -> int32, uint32/uint64 -> int64, float16 -> float32), with the
    # type each is read as; every value must come back exact.
    widened = {}

    def save_widened(name, arr, read_as, fortran=False):
        np.save(os.path.join(OUT, name), np.asfortranarray(arr) if fortran else arr)
        widened[name] = {"dtype": str(arr.dtype), "read_as": read_as, "shape": list(arr.shape),
                         "values": [text(v) for v in np.asarray(arr).ravel(order="C")]}

    save_widened("npy_widen_i1_5.npy", np.array([-128, -1, 0, 1, 127], dtype=np.int8), "int32")
    save_widened("npy_widen_i2_2x3.npy", np.array([[-32768, -1, 0], [1, 300, 32767]], dtype=np.int16), "int32")
    save_widened("npy_widen_u2_4.npy", np.array([0, 1, 40000, 65535], dtype=np.uint16), "int32")
    save_widened("npy_widen_u4_3.npy", np.array([0, 3000000000, 4294967295], dtype=np.uint32), "int64")
    save_widened("npy_widen_u8_3.npy", np.array([0, 2**63 - 1, 12345], dtype=np.uint64), "int64")
    save_widened("npy_widen_f2_2x3.npy", np.array([[0.1, -2.5, 65504], [6e-8, np.inf, np.nan]], dtype=np.float16), "float32")
    save_widened("npy_widen_i2_fortran.npy", np.arange(6, dtype=np.int16).reshape(2, 3) - 3, "int32", fortran=True)
    np.save(os.path.join(OUT, "bad_u8_beyond_int64.npy"), np.array([1, 2**63], dtype=np.uint64))
    with open(os.path.join(OUT, "npy_widened_manifest.json"), "w") as f:
        json.dump(widened, f, indent=1, sort_keys=True)

    # Class names as numpy text ('<U' strings, UTF-32), which Xent reads as a labels file; non-ASCII names included.
    texts = {}
    for name, arr in [("npy_text_u3_4.npy", np.array(["cat", "dog", "ant", "dog"])),
                      ("npy_text_u4_3x1.npy", np.array([["chat"], ["café"], ["猫"]]))]:
        np.save(os.path.join(OUT, name), arr)
        texts[name] = {"dtype": arr.dtype.str, "shape": list(arr.shape), "values": [str(v) for v in arr.ravel()]}
    np.save(os.path.join(OUT, "bad_object_labels.npy"), np.array(["cat", 3], dtype=object), allow_pickle=True)
    with open(os.path.join(OUT, "npy_text_manifest.json"), "w", encoding="utf-8") as f:
        json.dump(texts, f, indent=1, sort_keys=True, ensure_ascii=False)

    # IDX, as MNIST ships it: big-endian dims after 0x00 0x00 0x08 ndims; images gzipped, labels raw.
    images = rng.integers(0, 256, size=(3, 4, 5), dtype=np.uint8)
    labels = np.array([9, 0, 3], dtype=np.uint8)
    with gzip.GzipFile(os.path.join(OUT, "idx_tiny-images-idx3-ubyte.gz"), "wb", mtime=0) as f:
        f.write(struct.pack(">BBBBIII", 0, 0, 8, 3, *images.shape) + images.tobytes())
    with open(os.path.join(OUT, "idx_tiny-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">BBBBI", 0, 0, 8, 1, len(labels)) + labels.tobytes())
    with open(os.path.join(OUT, "idx_tiny_manifest.json"), "w") as f:
        json.dump({"images_shape": list(images.shape), "images": images.ravel().tolist(),
                   "labels": labels.tolist()}, f)

    # A state dict with PyTorch's own parameter names and default initialisation.
    torch.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 3)
            self.fc = nn.Linear(4, 3)

    sd = dict(Net().state_dict())
    sd["step"] = torch.tensor(12345678901, dtype=torch.int64)           # 0-d, like num_batches_tracked
    sd["targets"] = torch.tensor([3, 0, -100, 2], dtype=torch.int64)
    sd["mask"] = torch.tensor([[1, 0, 1]], dtype=torch.int32)
    sd["scale"] = torch.tensor([0.1, -2.5], dtype=torch.float64)
    safetensors_py.save(sd, os.path.join(OUT, "torch_state_dict.safetensors"), metadata={"format": "pt", "source": "gen_io.py"})
    for name, t in sd.items():
        np.save(os.path.join(OUT, f"sd_{name}.npy"), t.numpy())
    print(f"wrote {len(os.listdir(OUT))} files to {OUT}")


if __name__ == "__main__":
    main()
