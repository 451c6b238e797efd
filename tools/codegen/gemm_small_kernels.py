#!/usr/bin/env python3
"""Writes src/Xent/Kernels/Gemm.SmallKernels.cs: the unpacked register tiles of Gemm's small-matrix path.

Each tile is one generic method whose row/column counts are type parameters (TR, TS/TV : ISmallCount):
the JIT compiles one specialised body per instantiation and drops the guarded statements of rows and
columns the tile does not have, so every accumulator is a named local it can keep in a register.
Usage: python3 tools/codegen/gemm_small_kernels.py > src/Xent/Kernels/Gemm.SmallKernels.cs
"""

# (vector type, lanes, max rows, max cols) per family; the driver in Gemm.Small.cs keeps within the
# register budgets (RMaxDot/RMaxBcast), these are only the names the bodies declare.
FAMILIES = [
    dict(name="512", vec="Vector512", lanes=16, dot_r=8, dot_s=6, bc_r=8, bc_v=4),
    dict(name="256", vec="Vector256", lanes=8, dot_r=4, dot_s=5, bc_r=8, bc_v=2),
]

out = []
w = out.append


def guard_rows(r):
    return f"TR.N > {r}"


def masked_load(f, ptr, mask):
    if f["name"] == "512":
        return f"Avx512F.MaskLoad({ptr}, {mask}, Vector512<float>.Zero)"
    return f"Avx.MaskLoad({ptr}, {mask})"


def dot(f):
    V, L, R, S = f["vec"], f["lanes"], f["dot_r"], f["dot_s"]
    n = f["name"]
    w(f"    /// <summary>")
    w(f"    /// Dot-product tile ({V}): C[r, s] (op)= alpha·Σ_p A[r, p]·B[s, p] for r &lt; TR, s &lt; TS, where the rows of A and B")
    w(f"    /// are contiguous along k (C = A·Bᵀ). Each element keeps a {L}-lane accumulator over k (the tail through a")
    w(f"    /// masked load) that is summed across lanes once at the end (<see cref=\"HSum4({V}{{float}}, {V}{{float}}, {V}{{float}}, {V}{{float}})\"/>,")
    w(f"    /// whose result for one input does not depend on the others), so its value does not depend on the tile shape.")
    w(f"    /// </summary>")
    w(f"    [MethodImpl(MethodImplOptions.AggressiveOptimization)]")
    w(f"    private static void Dot{n}<TR, TS>(in SmallTile t) where TR : struct, ISmallCount where TS : struct, ISmallCount")
    w(f"    {{")
    w(f"        int k = t.K;")
    w(f"        nint lda = t.Sa, ldb = t.Ldb;")
    w(f"        float* a0 = t.A, b0 = t.B;")
    for r in range(1, R):
        w(f"        float* a{r} = a0 + {r} * lda;")
    for s in range(1, S):
        w(f"        float* b{s} = b0 + {s} * ldb;")
    for r in range(R):
        w("        " + " ".join(f"{V}<float> c{r}_{s} = default;" for s in range(S)))
    w(f"        int p = 0;")

    def body(load):
        for r in range(R):
            if r == 0:
                w(f"            {V}<float> x0 = {load('a0 + p')};")
            else:
                w(f"            {V}<float> x{r} = TR.N > {r} ? {load(f'a{r} + p')} : default;")
        w(f"            {V}<float> y;")
        for s in range(S):
            ind = "            "
            if s > 0:
                w(f"{ind}if (TS.N > {s})")
                w(f"{ind}{{")
                ind += "    "
            w(f"{ind}y = {load(f'b{s} + p')};")
            w(f"{ind}c0_{s} = {V}.FusedMultiplyAdd(x0, y, c0_{s});")
            for r in range(1, R):
                w(f"{ind}if (TR.N > {r}) c{r}_{s} = {V}.FusedMultiplyAdd(x{r}, y, c{r}_{s});")
            if s > 0:
                w(f"            }}")

    w(f"        for (; p <= k - {L}; p += {L})")
    w(f"        {{")
    body(lambda ptr: f"{V}.Load({ptr})")
    w(f"        }}")
    w(f"        if (p < k)")
    w(f"        {{")
    w(f"            {V}<float> m = {V}.LessThan({V}<int>.Indices, {V}.Create(k - p)).AsSingle();")
    body(lambda ptr: masked_load(f, ptr, "m"))
    w(f"        }}")
    w(f"        float* c = t.C;")
    w(f"        nint ldc = t.Ldc;")
    w(f"        float alpha = t.Alpha, beta = t.Beta;")
    w(f"        int mode = t.Mode;")
    w(f"        Vector128<float> sums;")
    for r in range(R):
        ind = "        "
        if r > 0:
            w(f"{ind}if (TR.N > {r})")
            w(f"{ind}{{")
            ind += "    "
        w(f"{ind}float* c{r} = c + {r} * ldc;")
        # Four columns at a time: their sums come out of HSum4 side by side and go to C as one vector.
        for g in range(0, S, 4):
            ind2 = ind
            if g > 0:
                w(f"{ind}if (TS.N > {g})")
                w(f"{ind}{{")
                ind2 += "    "
            args = ", ".join(f"c{r}_{s}" if s < S else f"c{r}_{g}" for s in range(g, g + 4))
            w(f"{ind2}sums = HSum4({args});")
            if g + 4 <= S:
                w(f"{ind2}if (TS.N >= {g + 4}) Put4(c{r} + {g}, sums, alpha, beta, mode);")
                w(f"{ind2}else")
                w(f"{ind2}{{")
                ind3 = ind2 + "    "
            else:
                ind3 = ind2
            for s in range(g, min(g + 4, S)):
                cond = "" if s == g else f"if (TS.N > {s}) "
                w(f"{ind3}{cond}Put(c{r} + {s}, sums.GetElement({s - g}), alpha, beta, mode);")
            if g + 4 <= S:
                w(f"{ind2}}}")
            if g > 0:
                w(f"{ind}}}")
        if r > 0:
            w(f"        }}")
    w(f"    }}")
    w("")


def bcast(f):
    V, L, R, NV = f["vec"], f["lanes"], f["bc_r"], f["bc_v"]
    n = f["name"]
    w(f"    /// <summary>")
    w(f"    /// Broadcast tile ({V}): C[r, 0..TV·{L}) (op)= alpha·Σ_p A(r, p)·B[p, ·] for r &lt; TR, with A(r, p) at")
    w(f"    /// A + r·Sa + p·Sp (either orientation, read in place) and the rows of B contiguous; vector TV−1 of B and C")
    w(f"    /// goes through <see cref=\"SmallTile.Mask{n}\"/> (the columns past n are neither read nor written).")
    w(f"    /// Each element sums its products in k order with one fused multiply-add per step, whatever the tile shape.")
    w(f"    /// </summary>")
    w(f"    [MethodImpl(MethodImplOptions.AggressiveOptimization)]")
    w(f"    private static void Bcast{n}<TR, TV>(in SmallTile t) where TR : struct, ISmallCount where TV : struct, ISmallCount")
    w(f"    {{")
    w(f"        int k = t.K;")
    w(f"        nint sa = t.Sa, sp = t.Sp, ldb = t.Ldb;")
    w(f"        float* ap = t.A, bp = t.B;")
    w(f"        {V}<float> mask = t.Mask{n};")
    for r in range(1, R):
        w(f"        nint o{r} = {r} * sa;")
    for r in range(R):
        w("        " + " ".join(f"{V}<float> c{r}_{v} = default;" for v in range(NV)))
    w(f"        for (int p = 0; p < k; p++, ap += sp, bp += ldb)")
    w(f"        {{")
    for v in range(NV):
        ml = masked_load(f, f"bp + {v * L}", "mask")
        full = f"{V}.Load(bp + {v * L})"
        if v == 0:
            w(f"            {V}<float> b0 = TV.N == 1 ? {ml} : {full};")
        elif v == NV - 1:
            w(f"            {V}<float> b{v} = TV.N == {v + 1} ? {ml} : default;")
        else:
            w(f"            {V}<float> b{v} = TV.N == {v + 1} ? {ml} : TV.N > {v + 1} ? {full} : default;")
    w(f"            {V}<float> av;")
    for r in range(R):
        ind = "            "
        if r > 0:
            w(f"{ind}if (TR.N > {r})")
            w(f"{ind}{{")
            ind += "    "
        idx = "0" if r == 0 else f"o{r}"
        w(f"{ind}av = {V}.Create(ap[{idx}]);")
        for v in range(NV):
            cond = "" if v == 0 else f"if (TV.N > {v}) "
            w(f"{ind}{cond}c{r}_{v} = {V}.FusedMultiplyAdd(av, b{v}, c{r}_{v});")
        if r > 0:
            w(f"            }}")
    w(f"        }}")
    w(f"        float* c = t.C;")
    w(f"        nint ldc = t.Ldc;")
    w(f"        {V}<float> al = {V}.Create(t.Alpha), be = {V}.Create(t.Beta);")
    w(f"        int mode = t.Mode;")
    for r in range(R):
        ind = "        "
        if r > 0:
            w(f"{ind}if (TR.N > {r})")
            w(f"{ind}{{")
            ind += "    "
        w(f"{ind}float* c{r} = c + {r} * ldc;")
        for v in range(NV):
            full = f"Store(c{r} + {v * L}, c{r}_{v}, al, be, mode)"
            masked = f"StoreMasked(c{r} + {v * L}, c{r}_{v}, mask, al, be, mode)"
            if v == 0:
                w(f"{ind}if (TV.N == 1) {masked}; else {full};")
            else:
                w(f"{ind}if (TV.N == {v + 1}) {masked};" + (f" else if (TV.N > {v + 1}) {full};" if v < NV - 1 else ""))
        if r > 0:
            w(f"        }}")
    w(f"    }}")
    w("")


def dispatch(f, kind, rmax, smax, second):
    n = f["name"]
    w(f"    /// <summary>Runs the {kind}{n} tile of <paramref name=\"rows\"/>×<paramref name=\"{second}\"/> (both at least 1).</summary>")
    w(f"    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // called per tile from the first GEMM on: skip tier-0")
    w(f"    private static void {kind}{n}(int rows, int {second}, in SmallTile t)")
    w(f"    {{")
    w(f"        switch (rows)")
    w(f"        {{")
    for r in range(1, rmax + 1):
        w(f"            case {r}: {kind}{n}Cols<C{r}>({second}, in t); break;")
    w(f"            default: throw new ArgumentOutOfRangeException(nameof(rows));")
    w(f"        }}")
    w(f"    }}")
    w("")
    w(f"    [MethodImpl(MethodImplOptions.AggressiveOptimization)]")
    w(f"    private static void {kind}{n}Cols<TR>(int {second}, in SmallTile t) where TR : struct, ISmallCount")
    w(f"    {{")
    w(f"        switch ({second})")
    w(f"        {{")
    for s in range(1, smax + 1):
        w(f"            case {s}: {kind}{n}<TR, C{s}>(in t); break;")
    w(f"            default: throw new ArgumentOutOfRangeException(nameof({second}));")
    w(f"        }}")
    w(f"    }}")
    w("")


w("// <auto-generated> by tools/codegen/gemm_small_kernels.py; edit the generator, not this file. </auto-generated>")
w("using System.Runtime.CompilerServices;")
w("using System.Runtime.Intrinsics;")
w("using System.Runtime.Intrinsics.X86;")
w("")
w("namespace Xent.Kernels;")
w("")
w("// Register tiles of the small-matrix path (see Gemm.Small.cs), generated because every accumulator must be")
w("// a named local for the JIT to keep it in a register; the type parameters fix the tile shape per instantiation.")
w("internal static unsafe partial class Gemm")
w("{")
maxc = max(max(f["dot_r"], f["dot_s"], f["bc_r"], f["bc_v"]) for f in FAMILIES)
for i in range(1, maxc + 1):
    w(f"    private struct C{i} : ISmallCount {{ public static int N => {i}; }}")
w("")
for f in FAMILIES:
    dispatch(f, "Dot", f["dot_r"], f["dot_s"], "cols")
    dispatch(f, "Bcast", f["bc_r"], f["bc_v"], "vectors")
    dot(f)
    bcast(f)
# drop the blank line before the closing brace
if out[-1] == "":
    out.pop()
w("}")
print("\n".join(out))
