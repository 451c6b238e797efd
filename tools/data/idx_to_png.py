#!/usr/bin/python3
"""Converts an MNIST-format IDX folder (e.g. /usr/share/datasets/fashion-mnist) into PNG class folders, the layout
`xent train --data DIR` reads (DIR/<class>/<n>.png), and writes the same images back as an IDX folder, so both paths
can be trained on exactly the same images:

    OUT/png/train/<k>_<class>/<n>.png   OUT/png/test/<k>_<class>/<n>.png   (8-bit gray PNG, PIL)
    OUT/idx/{train,t10k}-{images-idx3,labels-idx1}-ubyte                     (the same images, IDX)

--train-limit N keeps the first N training images (all when omitted); --test-limit likewise. Class folders are named
"<label>_<name>" so that their sorted order is the label order. Run with Debian's interpreter:

    /usr/bin/python3 tools/data/idx_to_png.py /usr/share/datasets/fashion-mnist runs/fmnist --train-limit 10000
"""
import argparse
import gzip
import os
import struct

import numpy as np
from PIL import Image

FASHION = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"]


def read_idx(folder, name):
    for path in (os.path.join(folder, name), os.path.join(folder, name + ".gz")):
        if os.path.exists(path):
            with (gzip.open(path) if path.endswith(".gz") else open(path, "rb")) as f:
                data = f.read()
            ndim = data[3]
            shape = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
            return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)
    raise FileNotFoundError(f"{name}[.gz] not in {folder}")


def write_idx(path, array):
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 8, array.ndim]) + struct.pack(">" + "I" * array.ndim, *array.shape) + array.tobytes())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("idx_dir")
    ap.add_argument("out")
    ap.add_argument("--train-limit", type=int)
    ap.add_argument("--test-limit", type=int)
    args = ap.parse_args()
    names = FASHION if "fashion" in os.path.abspath(args.idx_dir).lower() else [str(d) for d in range(10)]
    os.makedirs(os.path.join(args.out, "idx"), exist_ok=True)
    for split, prefix, limit in (("train", "train", args.train_limit), ("test", "t10k", args.test_limit)):
        images = read_idx(args.idx_dir, f"{prefix}-images-idx3-ubyte")[:limit]
        labels = read_idx(args.idx_dir, f"{prefix}-labels-idx1-ubyte")[:limit]
        write_idx(os.path.join(args.out, "idx", f"{prefix}-images-idx3-ubyte"), images)
        write_idx(os.path.join(args.out, "idx", f"{prefix}-labels-idx1-ubyte"), labels)
        for k, name in enumerate(names):
            os.makedirs(os.path.join(args.out, "png", split, f"{k}_{name}"), exist_ok=True)
        for i, (img, y) in enumerate(zip(images, labels)):
            Image.fromarray(img, mode="L").save(os.path.join(args.out, "png", split, f"{y}_{names[y]}", f"{i:05d}.png"))
        print(f"{split}: {len(images)} images")


if __name__ == "__main__":
    main()
