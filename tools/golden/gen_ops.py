#!/usr/bin/env python3
"""Golden values for Xent's core tensor ops, computed by PyTorch (Debian's python3-torch).

Writes tools/golden/data/ops/*.npy. Run from anywhere: python3 tools/golden/gen_ops.py
Inputs are generated here and saved too, so the C# tests feed PyTorch's exact inputs.
"""
import os
import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "ops")
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(1234)


def save(name, t):
    a = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(a))


# Broadcasting arithmetic: (2,3,4) op (3,1) and op (4,)
a = torch.randn(2, 3, 4, requires_grad=True)
b = torch.randn(3, 1, requires_grad=True)
c = (torch.rand(4) + 0.5).requires_grad_()
save("bcast_a", a); save("bcast_b", b); save("bcast_c", c)
out = (a + b) * c - a / c
save("bcast_out", out)
r = torch.randn(2, 3, 4)
save("bcast_r", r)
(out * r).sum().backward()
save("bcast_grad_a", a.grad); save("bcast_grad_b", b.grad); save("bcast_grad_c", c.grad)

# Unary ops on positive inputs
x = (torch.rand(5, 7) + 0.1).requires_grad_()
save("unary_x", x)
u = x.exp() + x.log() + x.sigmoid() + x.pow(2.5) - x.neg()
save("unary_out", u)
r = torch.randn(5, 7)
save("unary_r", r)
(u * r).sum().backward()
save("unary_grad_x", x.grad)

# Reductions
x = torch.randn(3, 4, 5, requires_grad=True)
save("reduce_x", x)
save("reduce_sum_dim1", x.sum(1))
save("reduce_mean_dim2_keep", x.mean(2, keepdim=True))
vals, idx = x.max(1)
save("reduce_max_dim1_values", vals); save("reduce_max_dim1_indices", idx)
save("reduce_argmax_dim2", x.argmax(2))
r = torch.randn(3, 5)
save("reduce_r", r)
(vals * r).sum().backward()
save("reduce_max_grad_x", x.grad)

# MatMul 2-D and batched 3-D
a = torch.randn(6, 9, requires_grad=True); b = torch.randn(9, 4, requires_grad=True)
save("mm_a", a); save("mm_b", b)
m = a @ b
save("mm_out", m)
r = torch.randn(6, 4); save("mm_r", r)
(m * r).sum().backward()
save("mm_grad_a", a.grad); save("mm_grad_b", b.grad)
a = torch.randn(3, 5, 7); b = torch.randn(3, 7, 2)
save("bmm_a", a); save("bmm_b", b); save("bmm_out", torch.bmm(a, b))

# Gather / transpose / index_select
x = torch.randn(4, 6, requires_grad=True)
idx = torch.tensor([[0, 5], [1, 1], [2, 3], [5, 0]])
save("gather_x", x); save("gather_idx", idx)
g = x.gather(1, idx)
save("gather_out", g)
g.sum().backward()
save("gather_grad_x", x.grad)
x = torch.randn(2, 3, 4)
save("transpose_x", x); save("transpose_02", x.transpose(0, 2).contiguous())
sel = torch.tensor([2, 0, 2])
save("index_select_idx", sel); save("index_select_out", x.index_select(1, sel))
print("wrote", len(os.listdir(OUT)), "files to", OUT)
