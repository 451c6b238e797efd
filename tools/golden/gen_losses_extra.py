#!/usr/bin/env python3
"""Golden values for the rest of the cross-entropy family: focal loss (softmax, class indices), torchvision's
sigmoid focal loss, KL divergence and Hinton's distillation loss.

Run with Debian's python3-torch (1.13) and python3-torchvision (0.14):
    /usr/bin/python3 tools/golden/gen_losses_extra.py
Writes tools/golden/data/losses_extra/<case>/*.npy and tools/golden/data/losses_extra/cases.json.

Where PyTorch has the loss, the golden is PyTorch's own float32 output:
  kl_div             torch.nn.functional.kl_div (reductions none, mean, sum, batchmean; log_target)
  sigmoid_focal      torchvision.ops.sigmoid_focal_loss (reductions none, mean, sum)
Where it has none, the golden is the loss's definition evaluated by PyTorch in float64 on the float32 inputs
(so it is the exact value, rounded once to float32), with its autograd gradient:
  focal              lᵢ = −w[tᵢ]·(1 − p_tᵢ)^γ·log p_tᵢ, p = softmax(x) over dim 1 (0 for 1-D input);
                     ignored rows give 0; 'mean' divides by Σ w[tᵢ] over non-ignored rows (cross-entropy's rule)
  distillation       T²·kl_div(log_softmax(s/T), softmax(t/T), reduction='batchmean'), gradient to s only
Per case directory: input.npy, target.npy, weight.npy (focal, if any), loss_<reduction>.npy (float32, 0-d for
reduced), grad_<reduction>.npy = d(loss.sum())/d input for 'none', d loss/d input otherwise.
"""
import json
import os
import shutil

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torchvision.ops import sigmoid_focal_loss

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "losses_extra")
cases = []


def save(case_dir, name, array):
    # np.array(order="C") keeps 0-d arrays 0-d.
    np.save(os.path.join(case_dir, name + ".npy"), np.array(array, order="C"))


def json_float(v):
    v = float(v)
    if np.isnan(v):
        return "NaN"
    if np.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def run(fn, x, reductions):
    out = {}
    for r in reductions:
        xi = x.clone().requires_grad_(True)
        loss = fn(xi, r)
        (loss.sum() if r == "none" else loss).backward()
        out[r] = (loss.detach().float().numpy(), xi.grad.detach().float().numpy())
    return out


def write(name, function, x, target, results, options, weight=None, note=""):
    case_dir = os.path.join(OUT, name)
    os.makedirs(case_dir)
    save(case_dir, "input", x.float().numpy())
    save(case_dir, "target", target.numpy())
    if weight is not None:
        save(case_dir, "weight", weight.float().numpy())
    for r, (loss, grad) in results.items():
        save(case_dir, "loss_" + r, loss)
        save(case_dir, "grad_" + r, grad)
    entry = {"name": name, "function": function, "reductions": list(results), "input_shape": list(x.shape),
             "target_shape": list(target.shape), "has_weight": weight is not None,
             "loss": {r: (None if r == "none" else json_float(results[r][0])) for r in results}}
    entry.update(options)
    if note:
        entry["note"] = note
    cases.append(entry)


# ---- focal (softmax, class indices): the definition in float64 ----

def focal_reference(x, t, gamma, weight, ignore_index, reduction):
    dim = 0 if x.dim() == 1 else 1
    lp = torch.log_softmax(x.double(), dim)
    valid = t != ignore_index
    safe = torch.where(valid, t, torch.zeros_like(t))
    lpt = lp.gather(dim, safe.unsqueeze(dim)).squeeze(dim)
    w = torch.ones(x.shape[dim], dtype=torch.float64) if weight is None else weight.double()
    wt = torch.where(valid, w[safe], torch.zeros((), dtype=torch.float64))
    # 1 − p_t as −expm1(log p_t): exact where p_t is near 1.
    u = -torch.expm1(lpt)
    loss = torch.where(valid, -wt * u.pow(gamma) * lpt, torch.zeros((), dtype=torch.float64))
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / wt.sum()


def add_focal(name, x, t, gamma, weight=None, ignore_index=-100, note=""):
    res = run(lambda xi, r: focal_reference(xi, t, gamma, weight, ignore_index, r), x, ["none", "mean", "sum"])
    write(name, "focal", x, t, res, {"gamma": gamma, "ignore_index": ignore_index}, weight, note)


# ---- sigmoid focal: torchvision's float32 ----

def add_sigmoid_focal(name, x, y, alpha=0.25, gamma=2.0, note=""):
    res = run(lambda xi, r: sigmoid_focal_loss(xi, y, alpha=alpha, gamma=gamma, reduction=r), x, ["none", "mean", "sum"])
    write(name, "sigmoid_focal", x, y, res, {"alpha": alpha, "gamma": gamma}, note=note)


# ---- kl_div: PyTorch's float32 ----

def add_kl(name, x, q, log_target=False, note=""):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 'mean' warns; the C# side warns once too
        res = run(lambda xi, r: F.kl_div(xi, q, reduction=r, log_target=log_target), x, ["none", "mean", "sum", "batchmean"])
    write(name, "kl_div", x, q, res, {"log_target": log_target}, note=note)


# ---- distillation: the definition in float64 ----

def add_distillation(name, s, t, temperature, note=""):
    def fn(si, r):
        T = temperature
        return T * T * F.kl_div(torch.log_softmax(si.double() / T, 1), torch.softmax(t.double() / T, 1), reduction="batchmean")
    res = run(fn, s, ["batchmean"])
    write(name, "distillation", s, t, res, {"temperature": temperature}, note=note)


def main():
    torch.manual_seed(16)
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)

    def logits(*shape, scale=2.0):
        return (torch.randn(*shape) * scale).float()

    # --- focal ---
    add_focal("focal_basic", logits(8, 5), torch.randint(0, 5, (8,)), 2.0)
    add_focal("focal_gamma0", logits(8, 5), torch.randint(0, 5, (8,)), 0.0, note="gamma 0 is cross-entropy")
    add_focal("focal_gamma_half", logits(8, 5, scale=6.0), torch.randint(0, 5, (8,)), 0.5,
              note="gamma < 1: the gradient's (1-p)^(gamma-1) factor must not blow up where p_t -> 1")
    t = torch.randint(0, 4, (12,)); t[[1, 5, 6]] = -100
    add_focal("focal_weight_ignore", logits(12, 4), t, 2.0, weight=torch.rand(4) * 2 + 0.1)
    t = torch.randint(0, 3, (2, 4, 2))
    add_focal("focal_kdim_ignore_valid", logits(2, 3, 4, 2), t, 1.5, weight=torch.rand(3) + 0.5, ignore_index=1,
              note="(N, C, d1, d2); ignore_index 1 is a valid class")
    add_focal("focal_unbatched", logits(6), torch.tensor(4), 3.0, weight=torch.rand(6) + 0.5)
    add_focal("focal_all_ignored", logits(3, 4), torch.full((3,), -100, dtype=torch.int64), 2.0, note="mean is nan (0/0)")
    add_focal("focal_wide", logits(6, 300, scale=3.0), torch.randint(0, 300, (6,)), 3.0,
              note="C=300 exercises the vector paths with a scalar tail")
    add_focal("focal_many_rows", logits(700, 10), torch.randint(0, 10, (700,)), 1.0, weight=torch.rand(10) + 0.5,
              note="enough rows for several chunks")
    x = logits(6, 5)
    x[0] = torch.tensor([1e4, -1e4, 0.0, 1e4 - 1, 5.0])
    x[1] = torch.tensor([-1e4, -1e4 + 0.5, -1e4 + 2, -1e4, -1e4 - 3])
    x[2] = torch.tensor([40.0, 0.0, -3.0, 1.0, 2.0])
    x[3] = torch.tensor([1e4, 1e4 - 20, 1e4 - 30, 1e4 - 40, 1e4 - 50])
    x[4, 1] = -float("inf"); x[5, 3] = -float("inf")
    add_focal("focal_extreme", x, torch.tensor([0, 2, 0, 4, 0, 2]), 2.0, weight=torch.rand(5) + 0.5,
              note="logits around +-1e4, a confident correct row (p_t = 1 in float32), a hopeless row, -inf logits off target")

    # --- sigmoid focal ---
    add_sigmoid_focal("sfocal_basic", logits(4, 6), (torch.rand(4, 6) > 0.5).float())
    add_sigmoid_focal("sfocal_no_alpha_gamma0", logits(3, 5), (torch.rand(3, 5) > 0.5).float(), alpha=-1.0, gamma=0.0,
                      note="alpha < 0 and gamma 0: plain binary cross-entropy with logits")
    add_sigmoid_focal("sfocal_gamma_half_alpha", logits(5, 4, scale=5.0), (torch.rand(5, 4) > 0.5).float(), alpha=0.6, gamma=0.5)
    add_sigmoid_focal("sfocal_soft_targets_3d", logits(2, 3, 4), torch.rand(2, 3, 4), alpha=0.25, gamma=1.5,
                      note="targets in [0, 1], not only 0/1")
    xs = torch.tensor([[30.0, -30.0, 15.0, -15.0, 0.0, 88.0], [-88.0, 100.0, -100.0, 1e-3, 5.0, -5.0]])
    ys = torch.tensor([[1.0, 0.0, 0.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0, 0.0, 1.0]])
    add_sigmoid_focal("sfocal_extreme", xs, ys, alpha=0.25, gamma=2.0, note="saturated logits, right and wrong")
    add_sigmoid_focal("sfocal_0d", torch.tensor(0.7), torch.tensor(1.0), alpha=0.25, gamma=3.0)

    # --- kl_div ---
    add_kl("kl_basic", torch.log_softmax(logits(4, 5), 1), torch.softmax(logits(4, 5), 1))
    q = torch.softmax(logits(3, 6), 1); q[0, 2] = 0.0; q[1, 0] = 0.0; q[2] = torch.tensor([0.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    add_kl("kl_zero_targets", torch.log_softmax(logits(3, 6), 1), q, note="0*log 0 = 0, gradient 0")
    add_kl("kl_log_target", torch.log_softmax(logits(4, 5), 1), torch.log_softmax(logits(4, 5), 1), log_target=True)
    lq = torch.log_softmax(logits(2, 4), 1); lq[0, 1] = -200.0
    add_kl("kl_log_target_tiny", torch.log_softmax(logits(2, 4), 1), lq, log_target=True, note="exp(-200) underflows to 0")
    add_kl("kl_3d", torch.log_softmax(logits(2, 3, 4), 1), torch.softmax(logits(2, 3, 4), 1),
           note="batchmean divides by size(0) = 2")
    add_kl("kl_0d", torch.tensor(-0.5), torch.tensor(0.3), note="batchmean of a 0-d input is the sum")
    add_kl("kl_1d", torch.log_softmax(logits(7), 0), torch.softmax(logits(7), 0), note="batchmean divides by size(0) = 7")
    xe = torch.tensor([[-1e30, -80.0, 0.0, -1e-30], [-3.0, -1e4, -2.0, -0.5]])
    qe = torch.tensor([[0.0, 1e-30, 0.5, 0.5 - 1e-30], [1e-45, 0.0, 0.25, 0.75]])
    add_kl("kl_extreme", xe, qe, note="huge negative log-probabilities, denormal and zero targets")
    add_kl("kl_unnormalised", logits(3, 4), torch.rand(3, 4) * 3, note="kl_div does not ask for distributions")

    # --- distillation ---
    add_distillation("distill_t1", logits(6, 5), logits(6, 5), 1.0)
    add_distillation("distill_t4", logits(8, 10), logits(8, 10, scale=4.0), 4.0)
    add_distillation("distill_t_half", logits(3, 7), logits(3, 7), 0.5)
    s = logits(4, 6); s[0, 0] = 1e4; s[1] = s[1] - 1e4
    te = logits(4, 6); te[2, 3] = 60.0; te[3] = te[3] + 1e4
    add_distillation("distill_extreme", s, te, 2.0, note="logits around +-1e4 on either side")
    add_distillation("distill_wide", logits(3, 200, scale=3.0), logits(3, 200, scale=3.0), 3.0)

    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"generator": "tools/golden/gen_losses_extra.py", "torch": torch.__version__,
                   "torchvision": torchvision.__version__, "cases": cases}, f, indent=1, allow_nan=False)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(d, fn)) for d, _, fs in os.walk(OUT) for fn in fs)
    print(f"{len(cases)} cases, {total / 1e6:.2f} MB in {OUT}")


if __name__ == "__main__":
    main()
