#!/usr/bin/env python3
"""Extra golden cases for the functional API (F.CrossEntropy, F.NllLoss, F.LogSoftmax, ...), PyTorch 1.13.

Complements tools/golden/gen_ce.py (the kernel cases) with shapes and broadcasts that only the
functional layer handles: 5-D K-dim inputs, unbatched probability targets, K-dim probability targets
with weights, NLL on K-dim and unbatched log-probabilities with ignore_index, BCE weights broadcast
from (C) or (N, 1), BCE-with-logits on 3-D inputs with pos_weight along the last dim, log_softmax /
softmax along dims other than 1.

Same file layout and cases.json schema as gen_ce.py (it reuses that script's writers), written to
tools/golden/data/ce_functional/. Softmax cases here also record "dim".
Run with Debian's python3-torch:  /usr/bin/python3 tools/golden/gen_ce_functional.py
"""
import json
import os
import shutil
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_ce as base  # noqa: E402  (its writers; its main() is not run)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "ce_functional")
base.OUT = OUT
base.cases = []


def save(case_dir, name, array):
    # np.array(order="C") keeps 0-d arrays 0-d (np.ascontiguousarray, used by gen_ce.py, makes them (1,)).
    np.save(os.path.join(case_dir, name + ".npy"), np.array(array, order="C"))


base.save = save


add_softmax_case = base.add_softmax_case  # writes with save() above, into OUT and base.cases


def main():
    torch.manual_seed(777)
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    logits, index_targets, add_case = base.logits, base.index_targets, base.add_case

    # cross_entropy: 5-D input (dim > 4 takes PyTorch's generic reshape path), with everything on.
    add_case("f_ce_5d_weight_ignore_smoothing", "cross_entropy", logits(2, 3, 2, 2, 3), index_targets((2, 2, 2, 3), 3, 1, 3),
             weight=torch.rand(3) + 0.5, ignore_index=1, label_smoothing=0.2,
             note="ignore_index=1 is a valid class")
    add_case("f_ce_3d_sum_ignore", "cross_entropy", logits(2, 6, 7), index_targets((2, 7), 6, -100, 4))
    # probability targets: unbatched, and K-dim with weight and smoothing.
    add_case("f_ce_prob_unbatched", "cross_entropy", logits(6), torch.softmax(torch.randn(6), 0), target_kind="prob")
    add_case("f_ce_prob_kdim_weight_smoothing", "cross_entropy", logits(2, 4, 3, 2), torch.softmax(torch.randn(2, 4, 3, 2), 1),
             weight=torch.rand(4) + 0.5, label_smoothing=0.1, target_kind="prob",
             note="mean divides by N*d1*d2 = 12, not by the weights")
    # nll_loss on log-probabilities.
    add_case("f_nll_kdim_weight_ignore_valid", "nll_loss", torch.log_softmax(logits(3, 4, 5), 1), index_targets((3, 5), 4),
             weight=torch.rand(4) + 0.5, ignore_index=2)
    add_case("f_nll_4d", "nll_loss", torch.log_softmax(logits(2, 3, 2, 3), 1), index_targets((2, 2, 3), 3, -100, 2))
    add_case("f_nll_unbatched_weight", "nll_loss", torch.log_softmax(logits(5), 0), torch.tensor(3), weight=torch.rand(5) + 0.5)
    add_case("f_nll_all_ignored", "nll_loss", torch.log_softmax(logits(3, 4), 1), torch.full((3,), -100, dtype=torch.int64),
             note="mean is nan (0/0)")
    # binary cross-entropy: weight broadcast from (C) and from (N, 1); 3-D input.
    p = torch.rand(4, 5) * 0.9 + 0.05
    add_case("f_bce_weight_row", "binary_cross_entropy", p, (torch.rand(4, 5) > 0.5).float(), weight=torch.rand(5) + 0.5,
             target_kind="binary", note="weight (C) broadcast over rows")
    add_case("f_bce_weight_col_3d", "binary_cross_entropy", torch.rand(2, 3, 4) * 0.9 + 0.05, torch.rand(2, 3, 4),
             weight=torch.rand(3, 1) + 0.5, target_kind="binary", note="weight (3, 1) broadcast to (2, 3, 4)")
    add_case("f_bce_logits_3d_pos_weight", "binary_cross_entropy_with_logits", logits(2, 3, 4, scale=4.0),
             (torch.rand(2, 3, 4) > 0.5).float(), weight=torch.rand(3, 1) + 0.5, pos_weight=torch.rand(4) * 3 + 0.2,
             target_kind="binary", note="weight (3, 1) broadcast; pos_weight (4) along the last dim")
    add_case("f_bce_logits_0d", "binary_cross_entropy_with_logits", torch.tensor(1.5), torch.tensor(1.0), target_kind="binary")
    # log_softmax / softmax along other dims.
    add_softmax_case("f_log_softmax_3d_dim1", "log_softmax", logits(2, 5, 3), 1)
    add_softmax_case("f_log_softmax_3d_dim0", "log_softmax", logits(3, 4, 2), 0)
    add_softmax_case("f_softmax_3d_dim_last", "softmax", logits(2, 3, 6), -1)
    add_softmax_case("f_softmax_4d_dim2", "softmax", logits(2, 2, 5, 3), 2)
    add_softmax_case("f_log_softmax_1d", "log_softmax", logits(7), 0)

    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"generator": "tools/golden/gen_ce_functional.py", "torch": torch.__version__, "cases": base.cases},
                  f, indent=1, allow_nan=False)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(d, fn)) for d, _, fs in os.walk(OUT) for fn in fs)
    print(f"{len(base.cases)} cases, {total / 1e6:.2f} MB in {OUT}")


if __name__ == "__main__":
    main()
