#!/usr/bin/env python3
"""Golden values for the cross-entropy family, computed by PyTorch itself.

Run with Debian's python3-torch (1.13) and numpy:  /usr/bin/python3 tools/golden/gen_ce.py
Writes tools/golden/data/ce/<case>/*.npy (C order, little endian) and tools/golden/data/ce/cases.json.

Per case directory:
  input.npy                  float32, the input as PyTorch takes it ((N,C), (N,C,d1..), (C,), ...)
  target.npy                 int64 class indices, or float32 probabilities / binary targets
  weight.npy                 float32 class weights (cross_entropy, nll_loss) or element weights (bce*), if any
  pos_weight.npy             float32 (C,) for binary_cross_entropy_with_logits, if any
  loss_<reduction>.npy       float32 PyTorch output for reduction none (shaped) / mean, sum (0-d)
  grad_<reduction>.npy       float32 d(loss.sum())/d input for 'none', d loss/d input for mean and sum
log_softmax / softmax cases instead hold output.npy, grad_output.npy (a random upstream gradient)
and grad_input.npy = d(sum(output * grad_output))/d input, with dim = 1 (or 0 for 1-D input).

cases.json lists every case with its options, so tests can rebuild the exact call.
"""
import json
import os
import shutil

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "ce")
REDUCTIONS = ["none", "mean", "sum"]

torch.manual_seed(20240601)
np.random.seed(20240601)

cases = []


def save(case_dir, name, array):
    np.save(os.path.join(case_dir, name + ".npy"), np.ascontiguousarray(array))


def logits(*shape, scale=2.0):
    return (torch.randn(*shape) * scale).float()


def index_targets(n_shape, c, ignore=None, ignore_count=0):
    t = torch.randint(0, c, n_shape, dtype=torch.int64)
    if ignore is not None and ignore_count:
        flat = t.view(-1)
        idx = torch.randperm(flat.numel())[:ignore_count]
        flat[idx] = ignore
    return t


def run_loss(function, x, target, opts, reductions=REDUCTIONS):
    """Returns {reduction: (loss, grad)} computed by PyTorch in float32."""
    out = {}
    for r in reductions:
        xi = x.clone().requires_grad_(True)
        kw = dict(reduction=r)
        if function == "cross_entropy":
            kw.update(weight=opts.get("weight"), ignore_index=opts.get("ignore_index", -100),
                      label_smoothing=opts.get("label_smoothing", 0.0))
            loss = F.cross_entropy(xi, target, **kw)
        elif function == "nll_loss":
            kw.update(weight=opts.get("weight"), ignore_index=opts.get("ignore_index", -100))
            loss = F.nll_loss(xi, target, **kw)
        elif function == "binary_cross_entropy":
            kw.update(weight=opts.get("weight"))
            loss = F.binary_cross_entropy(xi, target, **kw)
        elif function == "binary_cross_entropy_with_logits":
            kw.update(weight=opts.get("weight"), pos_weight=opts.get("pos_weight"))
            loss = F.binary_cross_entropy_with_logits(xi, target, **kw)
        else:
            raise ValueError(function)
        (loss.sum() if r == "none" else loss).backward()
        out[r] = (loss.detach().numpy().astype(np.float32), xi.grad.detach().numpy().astype(np.float32))
    return out


def json_float(v):
    """Strict JSON has no NaN/Infinity: write them as .NET's named floating-point literals."""
    v = float(v)
    if np.isnan(v):
        return "NaN"
    if np.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def add_case(name, function, x, target, *, weight=None, pos_weight=None, ignore_index=None,
             label_smoothing=0.0, target_kind="index", grads=REDUCTIONS, note=""):
    case_dir = os.path.join(OUT, name)
    os.makedirs(case_dir)
    opts = {"weight": weight, "pos_weight": pos_weight, "label_smoothing": label_smoothing}
    if ignore_index is not None:
        opts["ignore_index"] = ignore_index
    results = run_loss(function, x, target, opts)
    save(case_dir, "input", x.numpy())
    save(case_dir, "target", target.numpy())
    if weight is not None:
        save(case_dir, "weight", weight.numpy())
    if pos_weight is not None:
        save(case_dir, "pos_weight", pos_weight.numpy())
    for r, (loss, grad) in results.items():
        save(case_dir, "loss_" + r, loss)
        if r in grads:
            save(case_dir, "grad_" + r, grad)
    entry = {
        "name": name,
        "function": function,
        "reductions": REDUCTIONS,
        "grads": list(grads),
        "ignore_index": ignore_index if ignore_index is not None else -100,
        "label_smoothing": label_smoothing,
        "has_weight": weight is not None,
        "weight_shape": list(weight.shape) if weight is not None else None,
        "has_pos_weight": pos_weight is not None,
        "input_shape": list(x.shape),
        "target_kind": target_kind,
        "target_shape": list(target.shape),
        "loss": {r: (None if r == "none" else json_float(results[r][0])) for r in REDUCTIONS},
    }
    if note:
        entry["note"] = note
    cases.append(entry)


def add_softmax_case(name, function, x, dim=None):
    """dim defaults to the class dim (0 for 1-D input, else 1); gen_ce_functional.py passes others."""
    case_dir = os.path.join(OUT, name)
    os.makedirs(case_dir)
    if dim is None:
        dim = 0 if x.dim() == 1 else 1
    xi = x.clone().requires_grad_(True)
    y = (F.log_softmax if function == "log_softmax" else F.softmax)(xi, dim=dim)
    gy = torch.randn(y.shape)
    (y * gy).sum().backward()
    save(case_dir, "input", x.numpy())
    save(case_dir, "output", y.detach().numpy())
    save(case_dir, "grad_output", gy.numpy())
    save(case_dir, "grad_input", xi.grad.numpy())
    cases.append({"name": name, "function": function, "dim": dim, "reductions": [], "grads": [],
                  "input_shape": list(x.shape), "target_kind": "none", "has_weight": False,
                  "has_pos_weight": False, "label_smoothing": 0.0, "ignore_index": -100})


def add_degenerate_smoothing_cases():
    """Label smoothing with a non-finite class weight or a 'mean' over target weights summing to 0 (written last, so the
    cases above keep their random values). PyTorch sums -w_c*lp_c term by term, so the loss is +-inf even where the
    infinite weight's class is the row max, and NaN only where that class's lp is exactly 0; ignored rows get a NaN
    gradient (their masked smoothing gradient 0 times w_c)."""
    inf, nan = float("inf"), float("nan")
    x = logits(8, 5)
    for i in (0, 3, 6):
        x[i, 4] = x[i].max() + 0.5  # the +inf class is the row max: lp < 0, so +inf, not inf*0
    w = torch.tensor([1.0, 0.5, 2.0, 1.5, inf])
    add_case("ce_smoothing_inf_weight", "cross_entropy", x, torch.tensor([0, 1, 2, 3, 0, 1, 2, 3]), weight=w,
             label_smoothing=0.1, note="+inf weight on a class no target names, sometimes the row max: loss +inf")
    x = logits(8, 5)
    x[1, 2] = x[1].max() + 0.25
    x[5, 2] = x[5].max() + 40.0  # the -inf class takes all the mass: lp = 0 exactly, -inf*0 = NaN in that row
    add_case("ce_smoothing_neg_inf_weight_ignore", "cross_entropy", x, torch.tensor([0, 1, -100, 3, 4, 0, -100, 1]),
             weight=torch.tensor([1.0, 2.0, -inf, 0.5, 1.0]), label_smoothing=0.2,
             note="-inf weight: loss -inf, NaN where its class has lp = 0; ignored rows: loss 0, gradient NaN")
    add_case("ce_smoothing_nan_weight_ignore_valid_class", "cross_entropy", logits(6, 5), torch.tensor([0, 3, 2, 3, 4, 0]),
             weight=torch.tensor([1.0, nan, 2.0, 1.0, 0.5]), ignore_index=3, label_smoothing=0.1,
             note="NaN weight: NaN loss; the rows of the ignored class 3 have loss 0 and a NaN gradient")
    x = logits(6, 40)
    x[2, 39] = x[2].max() + 1.0
    add_case("ce_wide_smoothing_inf_weight_ignore", "cross_entropy", x, torch.tensor([0, 5, 17, -100, 38, 12]),
             weight=torch.cat([torch.rand(39) + 0.5, torch.tensor([inf])]), label_smoothing=0.1,
             note="C=40 (the row kernel, not the 16-row groups) with an ignored row")
    add_case("ce_kdim_smoothing_inf_weight_ignore", "cross_entropy", logits(2, 4, 3),
             torch.tensor([[0, 1, -100], [2, 2, 0]]), weight=torch.tensor([1.0, 2.0, 0.5, inf]), label_smoothing=0.3)
    add_case("ce_unbatched_smoothing_inf_weight", "cross_entropy", logits(5), torch.tensor(1, dtype=torch.int64),
             weight=torch.tensor([1.0, 0.5, 2.0, 1.5, inf]), label_smoothing=1.0, note="epsilon = 1")
    add_case("ce_smoothing_weights_cancel", "cross_entropy", logits(4, 5), torch.tensor([0, 1, 2, 1]),
             weight=torch.tensor([1.0, -1.5, 2.0, 0.5, 1.0]),
             label_smoothing=0.1, note="sum of w[t] = 0: the mean is +-inf or NaN and its whole gradient NaN")
    add_case("ce_wide_smoothing_weights_cancel_ignore", "cross_entropy", logits(5, 20), torch.tensor([0, 1, 7, 2, 7]),
             weight=torch.cat([torch.tensor([2.0, -1.0, -1.0]), torch.rand(17) + 0.5]), ignore_index=7,
             label_smoothing=0.1, note="C=20 row kernel; sum of w[t] = 0 with ignored rows (their gradient is 0)")
    add_case("ce_prob_smoothing_inf_weight", "cross_entropy", logits(4, 5), torch.softmax(torch.randn(4, 5), 1),
             weight=torch.tensor([1.0, 0.5, inf, 1.5, 2.0]), label_smoothing=0.1, target_kind="prob",
             note="probability targets with a +inf weight (every q' > 0): loss +inf")


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    N, C = 8, 5
    w5 = torch.rand(C) * 2 + 0.1

    # --- cross_entropy, class-index targets, each option alone ---
    add_case("ce_basic", "cross_entropy", logits(N, C), index_targets((N,), C))
    add_case("ce_weight", "cross_entropy", logits(N, C), index_targets((N,), C), weight=w5)
    add_case("ce_ignore", "cross_entropy", logits(N, C), index_targets((N,), C, -100, 3), ignore_index=-100)
    add_case("ce_ignore_valid_class", "cross_entropy", logits(N, C), index_targets((N,), C), ignore_index=3,
             note="ignore_index=3 is a valid class: rows with target 3 are ignored")
    add_case("ce_smoothing", "cross_entropy", logits(N, C), index_targets((N,), C), label_smoothing=0.1)
    # --- combined ---
    add_case("ce_weight_ignore_smoothing", "cross_entropy", logits(N, C), index_targets((N,), C, -1, 2),
             weight=w5, ignore_index=-1, label_smoothing=0.2)
    add_case("ce_weight_ignore3_smoothing", "cross_entropy", logits(16, C), index_targets((16,), C),
             weight=w5, ignore_index=3, label_smoothing=0.3)
    add_case("ce_kdim_weight", "cross_entropy", logits(2, 4, 3, 2), index_targets((2, 3, 2), 4),
             weight=torch.rand(4) + 0.5)
    add_case("ce_kdim_weight_ignore_smoothing", "cross_entropy", logits(3, 4, 5), index_targets((3, 5), 4, -100, 4),
             weight=torch.rand(4) + 0.5, label_smoothing=0.1)
    add_case("ce_unbatched", "cross_entropy", logits(C), torch.tensor(2, dtype=torch.int64))
    add_case("ce_unbatched_weight_smoothing", "cross_entropy", logits(C), torch.tensor(4, dtype=torch.int64),
             weight=w5, label_smoothing=0.25)
    add_case("ce_n1", "cross_entropy", logits(1, 7), index_targets((1,), 7))
    add_case("ce_c1", "cross_entropy", logits(6, 1), torch.zeros(6, dtype=torch.int64), label_smoothing=0.1)
    add_case("ce_wide_rows", "cross_entropy", logits(5, 100, scale=3.0), index_targets((5,), 100, -100, 1),
             weight=torch.rand(100) + 0.5, label_smoothing=0.05,
             note="C=100 exercises the vector paths with a scalar tail")
    # --- probability targets ---
    add_case("ce_prob", "cross_entropy", logits(6, C), torch.softmax(torch.randn(6, C), 1), target_kind="prob")
    add_case("ce_prob_weight_smoothing", "cross_entropy", logits(6, C), torch.softmax(torch.randn(6, C), 1),
             weight=w5, label_smoothing=0.15, target_kind="prob")
    add_case("ce_prob_kdim", "cross_entropy", logits(2, 3, 4), torch.softmax(torch.randn(2, 3, 4), 1),
             target_kind="prob")
    add_case("ce_prob_wide_weight", "cross_entropy", logits(3, 37), torch.softmax(torch.randn(3, 37) * 2, 1),
             weight=torch.rand(37) + 0.5, label_smoothing=0.1, target_kind="prob")
    # --- edge cases ---
    add_case("ce_all_ignored", "cross_entropy", logits(4, C), torch.full((4,), -100, dtype=torch.int64),
             note="mean is nan (0/0)")
    add_case("ce_all_ignored_weight_smoothing", "cross_entropy", logits(4, C), torch.full((4,), 2, dtype=torch.int64),
             weight=w5, ignore_index=2, label_smoothing=0.1, note="mean is nan (0/0)")
    x = logits(4, 6)
    t = torch.tensor([0, 2, 5, 1])
    x[0, 3] = -float("inf"); x[1, 0] = -float("inf"); x[1, 5] = -float("inf"); x[3, 4] = -float("inf")
    add_case("ce_neg_inf", "cross_entropy", x.clone(), t, note="-inf logits, never at the target")
    add_case("ce_neg_inf_smoothing", "cross_entropy", x.clone(), t, label_smoothing=0.1,
             note="-inf logits with smoothing: rows holding one have loss +inf")
    x2 = x.clone(); x2[2, 5] = -float("inf")
    add_case("ce_neg_inf_target", "cross_entropy", x2, t, note="row 2's target logit is -inf: loss +inf")
    x = logits(6, 5)
    x[0] = torch.tensor([1e4, -1e4, 0.0, 1e4 - 1, 5.0])
    x[1] = torch.tensor([-1e4, -1e4 + 0.5, -1e4 + 2, -1e4, -1e4 - 3])
    x[2] = torch.tensor([1e4, 1e4, 1e4, 1e4, 1e4])
    x[3] = torch.tensor([1e4, 1e4 - 20, 1e4 - 30, 1e4 - 40, 1e4 - 50])
    add_case("ce_large_logits", "cross_entropy", x, torch.tensor([0, 2, 4, 0, 1, 3]), weight=w5,
             label_smoothing=0.05, note="logits around +-1e4")
    add_case("ce_large_logits_plain", "cross_entropy", x.clone(), torch.tensor([3, 2, 4, 0, 1, 3]))
    add_case("ce_large_c", "cross_entropy", logits(2, 50000, scale=3.0), torch.tensor([123, 49999]),
             weight=None, label_smoothing=0.1, grads=["mean"],
             note="C=50000; only the mean's gradient is stored to keep the data small")

    # --- nll_loss on log-probabilities ---
    p = torch.tensor([[0.1, 0.7, 0.2], [0.9, 0.05, 0.05]])
    add_case("nll_tutorial", "nll_loss", torch.log(p), torch.tensor([1, 0]),
             note="the PyTorch tutorial's example: mean 0.2310")
    add_case("nll_tutorial_single", "nll_loss", torch.log(torch.tensor([0.1, 0.7, 0.2])), torch.tensor(1),
             note="the PyTorch tutorial's single sample: 0.3567")
    add_case("nll_weight_ignore", "nll_loss", torch.log_softmax(logits(N, C), 1), index_targets((N,), C, -100, 2),
             weight=w5)
    add_case("nll_kdim", "nll_loss", torch.log_softmax(logits(2, 3, 4), 1), index_targets((2, 4), 3))

    # --- binary cross-entropy on probabilities ---
    pr = torch.rand(4, 3) * 0.98 + 0.01
    pr[0, 0] = 0.0; pr[0, 1] = 1.0; pr[1, 2] = 1e-30
    y = (torch.rand(4, 3) > 0.5).float()
    y[0, 0] = 1.0; y[0, 1] = 0.0; y[1, 2] = 0.3; y[2, 0] = 0.7
    add_case("bce", "binary_cross_entropy", pr, y, target_kind="binary",
             note="p=0 with y=1 and p=1 with y=0 hit the -100 log clamp; grad hits the 1e-12 clamp")
    add_case("bce_weight", "binary_cross_entropy", torch.rand(5, 4) * 0.9 + 0.05, torch.rand(5, 4),
             weight=torch.rand(5, 4) + 0.5, target_kind="binary")
    # --- binary cross-entropy with logits ---
    xl = logits(4, 6, scale=3.0)
    xl[0] = torch.tensor([1e4, -1e4, 30.0, -30.0, 0.0, 88.0])
    xl[1] = torch.tensor([-1e4, 1e4, 17.0, -17.0, 1e-3, -100.0])
    yl = (torch.rand(4, 6) > 0.5).float()
    yl[1, 4] = 0.25
    add_case("bce_logits", "binary_cross_entropy_with_logits", xl.clone(), yl.clone(), target_kind="binary")
    add_case("bce_logits_weight_pos_weight", "binary_cross_entropy_with_logits", xl.clone(), yl.clone(),
             weight=torch.rand(4, 6) + 0.5, pos_weight=torch.rand(6) * 3 + 0.2, target_kind="binary",
             note="weight is full-size, pos_weight (C,) broadcast along the last dim")
    add_case("bce_logits_pos_weight_only", "binary_cross_entropy_with_logits", logits(3, 4), torch.rand(3, 4),
             pos_weight=torch.tensor([0.5, 1.0, 2.0, 4.0]), target_kind="binary")

    # --- log_softmax / softmax ---
    add_softmax_case("log_softmax", "log_softmax", logits(4, 7))
    add_softmax_case("log_softmax_wide", "log_softmax", logits(3, 45, scale=4.0))
    xs = logits(3, 6); xs[0, 2] = -float("inf"); xs[1] = xs[1] + 1e4
    add_softmax_case("log_softmax_edge", "log_softmax", xs)
    add_softmax_case("softmax", "softmax", logits(4, 7))
    add_softmax_case("softmax_wide", "softmax", logits(3, 45, scale=4.0))

    add_degenerate_smoothing_cases()

    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"generator": "tools/golden/gen_ce.py", "torch": torch.__version__, "cases": cases}, f, indent=1, allow_nan=False)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(d, fn)) for d, _, fs in os.walk(OUT) for fn in fs)
    print(f"{len(cases)} cases, {total / 1e6:.2f} MB in {OUT}")


if __name__ == "__main__":
    main()
