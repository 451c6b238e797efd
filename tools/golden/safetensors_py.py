"""Hand-written safetensors reader/writer for torch (the `safetensors` pip package is not available
offline). Follows https://github.com/huggingface/safetensors: u64 LE header length N, N bytes of JSON
padded with spaces to a multiple of 8, then the little-endian data buffer. Used by gen_io.py and
check_safetensors.py."""
import json
import struct

import torch

DTYPES = {
    torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.int32: "I32",
    torch.uint8: "U8", torch.bool: "BOOL", torch.float16: "F16", torch.bfloat16: "BF16",
}
TORCH_DTYPES = {v: k for k, v in DTYPES.items()}


def save(tensors, path, metadata=None):
    """Writes {name: tensor} like safetensors.torch.save_file: data sorted by (item size desc, name)."""
    order = sorted(tensors.items(), key=lambda kv: (-kv[1].element_size(), kv[0]))
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = dict(metadata)
    for name, t in order:
        data = t.detach().contiguous().cpu().numpy().tobytes() if t.dtype != torch.bfloat16 else \
            t.detach().contiguous().view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


def load(path):
    """Returns ({name: tensor}, metadata), checking the layout rules the format states."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", None) or {}
    buf = bytearray(raw[8 + n:])
    spans = sorted((info["data_offsets"][0], info["data_offsets"][1], name) for name, info in header.items())
    pos = 0
    for begin, end, name in spans:
        assert begin == pos, f"{name}: offsets not contiguous ({begin} != {pos})"
        pos = end
    assert pos == len(buf), f"buffer has {len(buf) - pos} uncovered trailing bytes"
    out = {}
    for name, info in header.items():
        dtype = TORCH_DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        shape = info["shape"]
        count = 1
        for d in shape:
            count *= d
        itemsize = torch.empty((), dtype=dtype).element_size()
        assert end - begin == count * itemsize, f"{name}: size mismatch"
        if count == 0:
            t = torch.empty(shape, dtype=dtype)
        else:
            t = torch.frombuffer(buf, dtype=dtype, count=count, offset=begin).clone().reshape(shape)
        out[name] = t
    return out, metadata
