#!/usr/bin/env python3
"""Golden pixel values for Xent's image transforms, computed by PyTorch 1.13 (Debian's python3-torch).

Writes tools/golden/data/data/. Run from anywhere: python3 tools/golden/gen_data.py
torchvision is not installed, so its ToTensor and Normalize are reproduced with the tensor ops it runs on CPU
(torchvision/transforms/functional.py): ToTensor = uint8 -> float32 then .div(255); Normalize = tensor.sub_(mean).div_(std)
with mean and std as float32 tensors viewed (C, 1, 1).
"""
import os
import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "data")
os.makedirs(OUT, exist_ok=True)


def save(name, t):
    np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(t.detach().numpy()))


def to_tensor(img_uint8):  # (C, H, W) uint8 -> float32 in [0, 1]
    return img_uint8.to(dtype=torch.get_default_dtype()).div(255)


def normalize(t, mean, std):
    mean = torch.as_tensor(mean, dtype=t.dtype).view(-1, 1, 1)
    std = torch.as_tensor(std, dtype=t.dtype).view(-1, 1, 1)
    return t.sub_(mean).div_(std)


every_byte = torch.arange(256, dtype=torch.uint8)
one = every_byte.view(1, 1, 256)
save("totensor_256", to_tensor(one).view(-1))
save("mnist_normalized_256", normalize(to_tensor(one), (0.1307,), (0.3081,)).view(-1))
save("fashion_normalized_256", normalize(to_tensor(one), (0.2860,), (0.3530,)).view(-1))
three = every_byte.view(1, 1, 256).expand(3, 1, 256).contiguous()
save("rgb_normalized_3x256", normalize(to_tensor(three), (0.5, 0.4, 0.3), (0.2, 0.25, 0.3)).view(3, 256))
print("wrote", OUT)
