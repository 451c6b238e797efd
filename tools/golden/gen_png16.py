#!/usr/bin/env python3
"""16-bit PNGs and the pixels PIL gives for them, as torchvision's ImageFolder loads an image: Image.open(f).convert("RGB").

Writes tools/golden/data/png16/: NAME.png and NAME.rgb.npy (uint8, H x W x 3), for PNG colour types 0 (gray), 2 (RGB),
4 (gray + alpha) and 6 (RGBA) at 16 bits, plain and interlaced (Adam7), and gray with a tRNS chunk. PIL 9.4 (Debian's
python3-pil) opens 16-bit gray as mode "I" and clips it at 255 when converting (min(v, 255)); the other types it opens as
"RGB", "LA" or "RGBA", taking each sample's high byte (v >> 8). Run: /usr/bin/python3 tools/golden/gen_png16.py
"""
import os
import struct
import zlib

import numpy as np
import PIL
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "png16")
os.makedirs(OUT, exist_ok=True)
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(path, samples, colour_type, interlace, trns=None):
    """samples: uint16 array H x W x channels, written big-endian, each row with filter 0 (none)."""
    h, w, _ = samples.shape
    big = samples.astype(">u2")
    if interlace:
        raw = b"".join(b"\x00" + big[y, x0::dx].tobytes()
                       for x0, y0, dx, dy in ADAM7 if x0 < w for y in range(y0, h, dy))
    else:
        raw = b"".join(b"\x00" + big[y].tobytes() for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, interlace)
    body = chunk(b"IHDR", ihdr) + (chunk(b"tRNS", trns) if trns else b"") + chunk(b"IDAT", zlib.compress(raw, 9))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b""))


rng = np.random.default_rng(16)
H, W = 5, 7  # odd sizes: every Adam7 pass is partial
# Values where the conventions part: under 256 (PIL's gray clip keeps them), a high byte whose low byte is 0xFF (PIL takes
# the high byte, rounding 65535 -> 255 would add one), and random ones.
edge = np.array([0, 1, 255, 256, 0x12FF, 0x8080, 0xFF00, 0xFFFF, 300, 0x00FF, 0x7F80, 0x0180], dtype=np.uint16)
for name, colour_type, channels in [("gray", 0, 1), ("rgb", 2, 3), ("grayalpha", 4, 2), ("rgba", 6, 4)]:
    samples = rng.integers(0, 65536, size=(H, W, channels), dtype=np.uint16)
    samples.reshape(-1)[:len(edge)] = edge
    if colour_type == 0:  # mostly small values, as a gray image that PIL does not clip entirely
        samples[2:] = rng.integers(0, 300, size=(H - 2, W, 1), dtype=np.uint16)
    for interlace in (0, 1):
        stem = f"{name}16{'_adam7' if interlace else ''}"
        png(os.path.join(OUT, stem + ".png"), samples, colour_type, interlace)
    if colour_type == 0:
        png(os.path.join(OUT, "gray16_trns.png"), samples, 0, 0, trns=struct.pack(">H", int(samples[0, 0, 0])))
for f in sorted(os.listdir(OUT)):
    if f.endswith(".png"):
        with Image.open(os.path.join(OUT, f)) as im:
            mode = im.mode
            rgb = np.asarray(im.convert("RGB"), dtype=np.uint8)
        np.save(os.path.join(OUT, f[:-4] + ".rgb.npy"), rgb)
        print(f, mode, rgb.shape, "PIL", PIL.__version__)
