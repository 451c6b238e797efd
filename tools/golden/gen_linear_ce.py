#!/usr/bin/env python3
"""Golden values for the fused linear cross-entropy (F.LinearCrossEntropy), computed by PyTorch
with the plain, unfused formulas:

    logits = F.linear(hidden, weight, bias)                 # (N, V), materialised
    logits = cap * torch.tanh(logits / cap)                 # softcap, if any (Gemma 2)
    loss   = F.cross_entropy(logits, target, weight=class_weight, ignore_index=ii,
                             reduction=r, label_smoothing=eps)
    z-loss : zl_i = z * torch.logsumexp(logits, 1)_i ** 2 for rows whose target != ii (0 otherwise);
             'none' adds zl, 'sum' adds zl.sum(), 'mean' adds zl.sum() / D with D = cross_entropy's
             own mean denominator (sum of class_weight[t_i] over non-ignored rows; their count
             without class weights). The z term is not multiplied by the class weight.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tools/golden/gen_linear_ce.py
Writes tools/golden/data/linear_ce/<case>/*.npy and tools/golden/data/linear_ce/cases.json.

Per case directory (float32 unless noted):
  hidden.npy (N, D), weight.npy (V, D), bias.npy (V) if any, target.npy (N) int64,
  class_weight.npy (V) if any, grad_output.npy (N): the upstream gradient used for 'none'
  loss_<r>.npy               loss for reduction r in none / mean / sum
  grad_hidden_<r>.npy, grad_weight_<r>.npy, grad_bias_<r>.npy (if bias)
                             d loss / d input for mean and sum; d (loss * grad_output).sum() for none
cases.json lists each case's options and which reductions have gradients stored.
"""
import json
import os
import shutil
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_ce import json_float  # noqa: E402  (strict-JSON NaN/Infinity; its main() is not run)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "linear_ce")
REDUCTIONS = ["none", "mean", "sum"]

torch.manual_seed(20240607)
cases = []


def save(case_dir, name, array):
    np.save(os.path.join(case_dir, name + ".npy"), np.ascontiguousarray(array))


def unfused_loss(h, w, b, t, cw, ii, r, eps, z, cap):
    logits = F.linear(h, w, b)
    if cap is not None:
        logits = cap * torch.tanh(logits / cap)
    loss = F.cross_entropy(logits, t, weight=cw, ignore_index=ii, reduction=r, label_smoothing=eps)
    if z:
        mask = (t != ii).to(logits.dtype)
        zl = z * torch.logsumexp(logits, 1) ** 2 * mask
        if r == "none":
            loss = loss + zl
        elif r == "sum":
            loss = loss + zl.sum()
        else:
            valid = t[t != ii]
            denom = cw[valid].sum() if cw is not None else mask.sum()
            loss = loss + zl.sum() / denom
    return loss


def add_case(name, n, d, v, *, bias=False, class_weight=False, ignore_index=-100, ignore_count=0,
             ignore_targets=None, label_smoothing=0.0, z_loss=0.0, softcap=None, scale=1.0,
             grads=REDUCTIONS, note="", class_weight_fn=None, bias_fn=None):
    case_dir = os.path.join(OUT, name)
    os.makedirs(case_dir)
    h = (torch.randn(n, d) * scale).float()
    w = (torch.randn(v, d) / d ** 0.5).float()
    b = (torch.randn(v) * 0.5).float() if bias else None
    cw = (torch.rand(v) * 1.5 + 0.25).float() if class_weight else None
    t = torch.randint(0, v, (n,), dtype=torch.int64)
    if ignore_count:
        t[torch.randperm(n)[:ignore_count]] = ignore_index
    if ignore_targets is not None:
        t = ignore_targets(t)
    if class_weight_fn is not None:
        cw = class_weight_fn(cw)
    if bias_fn is not None:
        b = bias_fn(b)
    go = torch.randn(n).float()
    save(case_dir, "hidden", h.numpy())
    save(case_dir, "weight", w.numpy())
    if b is not None:
        save(case_dir, "bias", b.numpy())
    if cw is not None:
        save(case_dir, "class_weight", cw.numpy())
    save(case_dir, "target", t.numpy())
    save(case_dir, "grad_output", go.numpy())
    losses = {}
    for r in REDUCTIONS:
        hi = h.clone().requires_grad_(True)
        wi = w.clone().requires_grad_(True)
        bi = b.clone().requires_grad_(True) if b is not None else None
        loss = unfused_loss(hi, wi, bi, t, cw, ignore_index, r, label_smoothing, z_loss, softcap)
        save(case_dir, "loss_" + r, loss.detach().numpy())
        losses[r] = None if r == "none" else json_float(loss.item())
        if r in grads:
            (loss * go).sum().backward() if r == "none" else loss.backward()
            save(case_dir, "grad_hidden_" + r, hi.grad.numpy())
            save(case_dir, "grad_weight_" + r, wi.grad.numpy())
            if bi is not None:
                save(case_dir, "grad_bias_" + r, bi.grad.numpy())
    entry = {
        "name": name, "n": n, "d": d, "v": v, "has_bias": bias, "has_class_weight": class_weight,
        "ignore_index": ignore_index, "label_smoothing": label_smoothing, "z_loss": z_loss,
        "softcap": softcap, "grads": list(grads), "loss": losses,
    }
    if note:
        entry["note"] = note
    cases.append(entry)


def set_entry(index, value):
    def change(x):
        x = x.clone()
        x[index] = value
        return x
    return change


def add_degenerate_smoothing_cases():
    """Label smoothing with a non-finite class weight, or a 'mean' over class weights of the targets summing to 0, as
    gen_ce.py's ce_smoothing_* cases (written last, so the cases above keep their random values). A non-finite weight
    makes the gradient of every class of every row NaN or inf, so each linear gradient is NaN; the losses are +-inf."""
    inf = float("inf")
    add_case("smoothing_inf_weight_ignore", 20, 8, 50, bias=True, class_weight=True, ignore_count=4, label_smoothing=0.1,
             ignore_targets=lambda t: torch.where(t == 49, torch.zeros_like(t), t),
             class_weight_fn=set_entry(49, inf), bias_fn=lambda b: b + 3.0 * (torch.arange(50) == 49),
             note="+inf weight on class 49 (no target), often the row max: loss +inf; ignored rows: loss 0, gradient NaN")
    add_case("smoothing_neg_inf_weight_softcap_ignore_valid_class", 16, 8, 30, class_weight=True, ignore_index=3,
             label_smoothing=0.2, softcap=3.0, scale=2.0,
             ignore_targets=lambda t: torch.where(t == 7, torch.full_like(t, 3), t), class_weight_fn=set_entry(7, -inf),
             note="-inf weight on class 7 (no target): loss -inf; rows of the ignored class 3 get a NaN gradient")
    add_case("smoothing_weights_cancel", 4, 8, 40, bias=True, class_weight=True, label_smoothing=0.5,
             ignore_targets=lambda t: torch.tensor([0, 1, 0, 1]),
             class_weight_fn=lambda w: torch.cat([torch.tensor([0.5, -0.5, 1.0, 1.0, 1.0, -1.0]), torch.ones(34)]),
             note="sum of w[t] = 0: the mean is NaN and so is every gradient entry (the closed form's g*(W*p - w) "
                  "gave bias column 5, of weight -1, +inf); 'none' and 'sum' are finite")


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    # --- each option alone ---
    add_case("basic", 16, 8, 50)
    add_case("bias", 16, 8, 50, bias=True)
    add_case("class_weight", 16, 8, 50, class_weight=True)
    add_case("ignore", 20, 8, 50, bias=True, ignore_count=6,
             note="reduction none with ignored targets must give 0 there (and zero gradient rows)")
    add_case("ignore_valid_class", 24, 8, 10, ignore_index=3,
             note="ignore_index=3 is a valid class: rows with target 3 are ignored")
    add_case("smoothing", 16, 8, 50, label_smoothing=0.1)
    add_case("z_loss", 16, 8, 50, z_loss=1e-2, ignore_count=3)
    add_case("softcap", 16, 8, 50, bias=True, softcap=2.0, scale=3.0, note="logits up to ~4x the cap: saturated tanh")
    add_case("softcap_gemma", 16, 8, 50, softcap=30.0, scale=20.0, note="Gemma 2's cap with large logits")
    add_case("large_logits", 16, 8, 50, bias=True, scale=40.0, note="logits of magnitude ~100: max subtraction")
    # --- combinations ---
    add_case("weight_ignore_smoothing", 20, 8, 50, class_weight=True, ignore_index=-1, ignore_count=5, label_smoothing=0.2)
    add_case("z_loss_class_weight", 16, 8, 50, class_weight=True, z_loss=1e-2, ignore_count=4,
             note="z term not class-weighted, but divided by the class-weight mean denominator")
    add_case("all_options", 33, 16, 97, bias=True, class_weight=True, ignore_index=7, ignore_count=5,
             label_smoothing=0.15, z_loss=5e-3, softcap=4.0, scale=2.0)
    add_case("all_ignored", 6, 8, 20, bias=True, class_weight=True, ignore_count=6, label_smoothing=0.1, softcap=3.0,
             note="mean is nan (0/0); gradients are zero")
    add_case("n1", 1, 4, 7, bias=True, label_smoothing=0.1)
    add_case("wide", 64, 32, 1000, bias=True, ignore_count=9, label_smoothing=0.1, z_loss=1e-3, softcap=15.0,
             scale=2.0, grads=["none", "mean"], note="V=1000: many vocabulary chunks")
    add_degenerate_smoothing_cases()
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"generator": "tools/golden/gen_linear_ce.py", "torch": torch.__version__, "cases": cases}, f, indent=1)


if __name__ == "__main__":
    main()
