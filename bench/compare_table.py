#!/usr/bin/env python3
"""Turns bench/compare-pytorch's raw results (JSON lines: {"id", "side", "round", "result"}) into the Markdown ratio table.

Usage: compare_table.py RESULTS.jsonl ROUNDS XENT_THREADS
The last column puts Xent's time against the physical limit of its row: the float32 FMA peak for the flop-bound rows
(PEAK_GFLOPS in the environment, which compare-pytorch measures with `xent bench peak`; without it those cells are left
empty), a plain copy of the same bytes for the memory-bound CE rows.
"""
import json, os, statistics, sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rounds, threads = int(sys.argv[2]), int(sys.argv[3])

def med(id_, side, key):
    vals = [r["result"][key] for r in rows if r["id"] == id_ and r["side"] == side and r["result"].get(key) is not None]
    return statistics.median(vals) if vals else None

def ms(x):
    return "n/a" if x is None else (f"{x:.3f} ms" if x < 10 else f"{x:.1f} ms")

peak = float(os.environ["PEAK_GFLOPS"]) if os.environ.get("PEAK_GFLOPS") else None

def flop_limit(gflop, xent_ms):
    """Share of the FMA peak that gflop of work in xent_ms reaches."""
    return None if not xent_ms or not peak else f"{gflop / peak / (xent_ms / 1000) * 100:.0f}% of {peak:.0f} GFLOP/s"

out = []
def row(name, base, xent, ratio, target, goal, limit=None):
    met = "n/a" if ratio is None or goal == 0 else ("yes" if ratio >= goal else "**no**")
    r = "n/a" if ratio is None else f"{ratio:.2f}×"
    out.append(f"| {name} | {base} | {xent} | {r} | {target} | {met} | {limit or '–'} |")

ids = {r["id"] for r in rows}
for shape, goal in (("1024x32000", 10), ("256x128256", 10), ("8192x10", 5)):
    i = "ce-" + shape
    if i not in ids: continue
    p, x = med(i, "pytorch", "median_ms"), med(i, "xent", "median_ms")
    c = med(i, "xent", "copy_median_ms")
    limit = f"{c / x * 100:.0f}% of copy speed" if c and x else None
    row(f"CE fwd+bwd {shape.replace('x', '×')} (F.CrossEntropy)", ms(p), ms(x), p / x if p and x else None, f"≥{goal}×", goal, limit)
for shape in ("1024x32000", "256x128256"):
    i = "ce-" + shape
    if i not in ids: continue
    c, x, k = med(i, "xent", "copy_median_ms"), med(i, "xent", "median_ms"), med(i, "xent", "kernel_median_ms")
    if c is None: continue
    row(f"CE fwd+bwd {shape.replace('x', '×')} (F.CrossEntropy) vs plain copy of the logits' bytes", f"copy {ms(c)}", ms(x),
        c / x if x else None, "≥0.50× (within 2× of copy)", 0.5)
    if k is not None:
        row(f"CE fwd+bwd {shape.replace('x', '×')}, fused kernel alone (informative: no autograd, preallocated gradient) vs plain copy",
            f"copy {ms(c)}", ms(k), c / k, "≥0.50× (within 2× of copy)", 0.5)
if "train" in ids:
    p, x = med("train", "pytorch", "samples_per_s"), med("train", "xent", "samples_per_s")
    row("MNIST CNN training step, batch 64, Adam (samples/s)", f"{p:.0f}/s ({ms(med('train', 'pytorch', 'median_ms'))})",
        f"{x:.0f}/s ({ms(med('train', 'xent', 'median_ms'))})", x / p if p and x else None, "≥1.8×", 1.8,
        flop_limit(4.6, med('train', 'xent', 'median_ms')))
if "eval" in ids:
    p, x = med("eval", "pytorch", "samples_per_s"), med("eval", "xent", "samples_per_s")
    row("MNIST CNN eval, 10,000 images, batch 1000 (samples/s)", f"{p:.0f}/s ({ms(med('eval', 'pytorch', 'median_ms'))})",
        f"{x:.0f}/s ({ms(med('eval', 'xent', 'median_ms'))})", x / p if p and x else None, "≥3×", 3,
        flop_limit(240, med('eval', 'xent', 'median_ms')))
if "linear" in ids:
    p, x = med("linear", "pytorch", "median_ms"), med("linear", "xent", "median_ms")
    row("Linear 784→10 SGD step, batch 100", ms(p), ms(x), p / x if p and x else None, "≥3×", 3, flop_limit(0.0031, x))
for s in (1024, 2048):
    i = f"gemm-{s}"
    if i not in ids: continue
    p, x = med(i, "pytorch", "gflops"), med(i, "xent", "gflops")
    row(f"SGEMM {s}³ (GFLOP/s)", f"{p:.1f} GFLOP/s ({ms(med(i, 'pytorch', 'median_ms'))})", f"{x:.1f} GFLOP/s ({ms(med(i, 'xent', 'median_ms'))})",
        x / p if p and x else None, "≥1.1× of PyTorch", 1.1, flop_limit(2 * s ** 3 / 1e9, med(i, "xent", "median_ms")))
if "linear-ce" in ids:
    p, x = med("linear-ce", "pytorch", "median_ms"), med("linear-ce", "xent", "fused_median_ms")
    row("Linear+CE N=1024 D=512 V=32000: Xent fused vs PyTorch unfused", ms(p), ms(x), p / x if p and x else None, "≥1.3×", 1.3,
        flop_limit(6 * 1024 * 512 * 32000 / 1e9, x))
    u = med("linear-ce", "xent", "unfused_median_ms")
    if u is not None:
        row("Linear+CE N=1024 D=512 V=32000: Xent fused vs Xent unfused", f"Xent unfused {ms(u)}", ms(x), u / x if x else None, "≥1× (faster)", 1)
    pr = med("linear-ce", "xent", "paired_unfused_over_fused")
    if pr is not None:
        row("Linear+CE N=1024 D=512 V=32000: Xent fused vs Xent unfused, paired (median of unfused/fused within each round)",
            "Xent unfused, same rounds", "fused, same rounds", pr, "≥1× (faster)", 1)
    r = med("linear-ce", "xent", "recompute_median_ms")
    if r is not None:
        row("Linear+CE N=1024 D=512 V=32000: Xent fused (3 GEMMs) vs Xent recompute path (4 GEMMs; informative)",
            f"recompute {ms(r)}", ms(x), r / x if x else None, "informative", 0)
for i, what in (("mem-train", "`xent train --epochs 1 --limit-batches 200` (README's train, 200 batches + test pass)"),
                ("mem-eval", "`xent eval`, 10,000 test images, batch 1000")):
    if i not in ids: continue
    p, x = med(i, "pytorch", "peak_rss_mib"), med(i, "xent", "peak_rss_mib")
    pt, xt = med(i, "pytorch", "median_ms"), med(i, "xent", "median_ms")
    row(f"Peak RSS, {what} (wall time in brackets)", f"{p:.0f} MiB ({pt / 1000:.1f} s)", f"{x:.0f} MiB ({xt / 1000:.1f} s)",
        p / x if p and x else None, "≤ PyTorch (ratio ≥1×)", 1)

head = ["| benchmark | PyTorch median | Xent median | speed-up (PyTorch/Xent) | target | met? | Xent vs the physical limit |",
        "|---|---|---|---|---|---|---|"]
print("\n".join(head + out))
print()
print(f"Medians over {rounds} alternating round(s); each side's figure is the median of its per-round medians. "
      f"PyTorch: torch.set_num_threads(2); Xent: --threads {threads}. For samples/s and GFLOP/s rows the speed-up is Xent/PyTorch throughput; "
      "the copy rows compare Xent's F.CrossEntropy with a Span.CopyTo of the same bytes in the same process.")
