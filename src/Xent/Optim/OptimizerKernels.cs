using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Xent.Kernels;

namespace Xent.Optim;

/// <summary>
/// Fused single-pass update loops for the optimizers, each with a scalar twin (<c>*Scalar</c>) that the
/// tests compare bit for bit. The float32 operation order mirrors PyTorch 1.13's single-tensor CPU code:
/// <c>add_(x, alpha=a)</c> is one fused multiply-add (ATen's <c>vec::fmadd</c>), <c>addcmul_</c> is
/// <c>fma(value·t1, t2, self)</c> (GCC contracts ATen's <c>self + value·t1·t2</c>; found by matching PyTorch's
/// output bit for bit on 200k elements), <c>mul_</c> and <c>addcdiv_</c> (<c>self + (value·t1)/t2</c>) round after every operation.
/// Scalars arrive already rounded to float32, as ATen converts Python floats.
/// </summary>
internal static class OptimizerKernels
{
    // ---------------- SGD without momentum ----------------

    /// <summary><c>p ← p − lr·(g + wd·p)</c>.</summary>
    // Runs once per parameter per step from the first step on; tier-0 code (or a tier-0 TensorPrimitives call)
    // cost several microseconds per call, as much as a small model's whole update.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sgd(Span<float> p, ReadOnlySpan<float> g, float negLr, float wd)
    {
        KernelArgs.SameLength(p.Length, g.Length, nameof(g));
        int i = 0, n = p.Length;
        ref float pr = ref MemoryMarshal.GetReference(p);
        ref float gr = ref MemoryMarshal.GetReference(g);
        if (wd == 0f)
        {
            // p.add_(g, alpha=-lr) is exactly one fma per element.
            if (Vector512.IsHardwareAccelerated)
            {
                var vl = Vector512.Create(negLr);
                for (; i <= n - 16; i += 16)
                    Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref gr, (nuint)i), vl, Vector512.LoadUnsafe(ref pr, (nuint)i))
                        .StoreUnsafe(ref pr, (nuint)i);
            }
            if (Vector256.IsHardwareAccelerated)
            {
                var vl = Vector256.Create(negLr);
                for (; i <= n - 8; i += 8)
                    Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref gr, (nuint)i), vl, Vector256.LoadUnsafe(ref pr, (nuint)i))
                        .StoreUnsafe(ref pr, (nuint)i);
            }
            SgdScalar(p, g, negLr, wd, i);
            return;
        }
        if (Vector512.IsHardwareAccelerated)
        {
            var vl = Vector512.Create(negLr); var vw = Vector512.Create(wd);
            for (; i <= n - 16; i += 16)
            {
                var pv = Vector512.LoadUnsafe(ref pr, (nuint)i);
                var d = Vector512.FusedMultiplyAdd(pv, vw, Vector512.LoadUnsafe(ref gr, (nuint)i));
                Vector512.FusedMultiplyAdd(d, vl, pv).StoreUnsafe(ref pr, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vl = Vector256.Create(negLr); var vw = Vector256.Create(wd);
            for (; i <= n - 8; i += 8)
            {
                var pv = Vector256.LoadUnsafe(ref pr, (nuint)i);
                var d = Vector256.FusedMultiplyAdd(pv, vw, Vector256.LoadUnsafe(ref gr, (nuint)i));
                Vector256.FusedMultiplyAdd(d, vl, pv).StoreUnsafe(ref pr, (nuint)i);
            }
        }
        SgdScalar(p, g, negLr, wd, i);
    }

    internal static void SgdScalar(Span<float> p, ReadOnlySpan<float> g, float negLr, float wd, int from = 0)
    {
        KernelArgs.SameLength(p.Length, g.Length, nameof(g));
        for (int i = from; i < p.Length; i++)
        {
            float d = wd == 0f ? g[i] : MathF.FusedMultiplyAdd(p[i], wd, g[i]);
            p[i] = MathF.FusedMultiplyAdd(d, negLr, p[i]);
        }
    }

    // ---------------- SGD with momentum ----------------

    /// <summary>Scalars of one momentum-SGD step, rounded to float32.</summary>
    public readonly record struct SgdMomentumScalars(
        float NegLr, float WeightDecay, float Momentum, float OneMinusDampening, bool Nesterov, bool First);

    /// <summary>
    /// <c>d = g + wd·p; b = first ? d : momentum·b + (1−dampening)·d; d = nesterov ? d + momentum·b : b; p ← p − lr·d</c>.
    /// </summary>
    public static void SgdMomentum(Span<float> p, ReadOnlySpan<float> g, Span<float> b, in SgdMomentumScalars s)
    {
        KernelArgs.SameLength(p.Length, g.Length, nameof(g));
        KernelArgs.SameLength(p.Length, b.Length, nameof(b));
        int i = 0, n = p.Length;
        ref float pr = ref MemoryMarshal.GetReference(p);
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float br = ref MemoryMarshal.GetReference(b);
        bool decay = s.WeightDecay != 0f, first = s.First, nesterov = s.Nesterov;
        if (Vector512.IsHardwareAccelerated)
        {
            var vl = Vector512.Create(s.NegLr); var vw = Vector512.Create(s.WeightDecay);
            var vm = Vector512.Create(s.Momentum); var vd = Vector512.Create(s.OneMinusDampening);
            for (; i <= n - 16; i += 16)
            {
                var pv = Vector512.LoadUnsafe(ref pr, (nuint)i);
                var d = Vector512.LoadUnsafe(ref gr, (nuint)i);
                if (decay) d = Vector512.FusedMultiplyAdd(pv, vw, d);
                var bv = first ? d : Vector512.FusedMultiplyAdd(d, vd, Vector512.LoadUnsafe(ref br, (nuint)i) * vm);
                bv.StoreUnsafe(ref br, (nuint)i);
                d = nesterov ? Vector512.FusedMultiplyAdd(bv, vm, d) : bv;
                Vector512.FusedMultiplyAdd(d, vl, pv).StoreUnsafe(ref pr, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vl = Vector256.Create(s.NegLr); var vw = Vector256.Create(s.WeightDecay);
            var vm = Vector256.Create(s.Momentum); var vd = Vector256.Create(s.OneMinusDampening);
            for (; i <= n - 8; i += 8)
            {
                var pv = Vector256.LoadUnsafe(ref pr, (nuint)i);
                var d = Vector256.LoadUnsafe(ref gr, (nuint)i);
                if (decay) d = Vector256.FusedMultiplyAdd(pv, vw, d);
                var bv = first ? d : Vector256.FusedMultiplyAdd(d, vd, Vector256.LoadUnsafe(ref br, (nuint)i) * vm);
                bv.StoreUnsafe(ref br, (nuint)i);
                d = nesterov ? Vector256.FusedMultiplyAdd(bv, vm, d) : bv;
                Vector256.FusedMultiplyAdd(d, vl, pv).StoreUnsafe(ref pr, (nuint)i);
            }
        }
        SgdMomentumScalar(p, g, b, s, i);
    }

    internal static void SgdMomentumScalar(Span<float> p, ReadOnlySpan<float> g, Span<float> b, in SgdMomentumScalars s, int from = 0)
    {
        KernelArgs.SameLength(p.Length, g.Length, nameof(g));
        KernelArgs.SameLength(p.Length, b.Length, nameof(b));
        for (int i = from; i < p.Length; i++)
        {
            float d = s.WeightDecay != 0f ? MathF.FusedMultiplyAdd(p[i], s.WeightDecay, g[i]) : g[i];
            float bv = s.First ? d : MathF.FusedMultiplyAdd(d, s.OneMinusDampening, b[i] * s.Momentum);
            b[i] = bv;
            d = s.Nesterov ? MathF.FusedMultiplyAdd(bv, s.Momentum, d) : bv;
            p[i] = MathF.FusedMultiplyAdd(d, s.NegLr, p[i]);
        }
    }

    // ---------------- Adam / AdamW ----------------

    /// <summary>
    /// Scalars of one Adam/AdamW step, rounded to float32. <see cref="ParamScale"/> is AdamW's decoupled
    /// decay <c>1 − lr·wd</c> (1 for Adam); <see cref="WeightDecay"/> is Adam's L2 term (0 for AdamW).
    /// </summary>
    public readonly record struct AdamScalars(
        float ParamScale, float WeightDecay, float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2,
        float BiasCorrection2Sqrt, float Eps, float NegStepSize);

    /// <summary>
    /// <c>p ← p·scale; g' = g + wd·p; m = β1·m + (1−β1)·g'; v = β2·v + (1−β2)·g'·g'; [vmax = max(vmax, v)];
    /// p ← p + (−step·m) / (sqrt(v)/sqrt(bc2) + eps)</c>. Pass an empty <paramref name="vmax"/> without amsgrad.
    /// </summary>
    public static void Adam(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, Span<float> vmax, in AdamScalars s)
    {
        KernelArgs.SameLength(p.Length, g.Length, nameof(g));
        KernelArgs.SameLength(p.Length, m.Length, nameof(m));
        KernelArgs.SameLength(p.Length, v.Length, nameof(v));
        bool ams = !vmax.IsEmpty;
        if (ams) KernelArgs.SameLength(p.Length, vmax.Length, nameof(vmax));
        int i = 0, n = p.Length;
        ref float pr = ref MemoryMarshal.GetReference(p);
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float mr = ref MemoryMarshal.GetReference(m);
        ref float vr = ref MemoryMarshal.GetReference(v);
        ref float xr = ref MemoryMarshal.GetReference(vmax);
        bool scale = s.ParamScale != 1f, decay = s.WeightDecay != 0f;
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(s.ParamScale); var vw = Vector512.Create(s.WeightDecay);
            var b1 = Vector512.Create(s.Beta1); var c1 = Vector512.Create(s.OneMinusBeta1);
            var b2 = Vector512.Create(s.Beta2); var c2 = Vector512.Create(s.OneMinusBeta2);
            var bc = Vector512.Create(s.BiasCorrection2Sqrt); var ve = Vector512.Create(s.Eps); var st = Vector512.Create(s.NegStepSize);
            for (; i <= n - 16; i += 16)
            {
                var pv = Vector512.LoadUnsafe(ref pr, (nuint)i);
                if (scale) pv *= vs;
                var gv = Vector512.LoadUnsafe(ref gr, (nuint)i);
                if (decay) gv = Vector512.FusedMultiplyAdd(pv, vw, gv);
                var mv = Vector512.FusedMultiplyAdd(gv, c1, Vector512.LoadUnsafe(ref mr, (nuint)i) * b1);
                var vv = Vector512.FusedMultiplyAdd(c2 * gv, gv, Vector512.LoadUnsafe(ref vr, (nuint)i) * b2);
                mv.StoreUnsafe(ref mr, (nuint)i);
                vv.StoreUnsafe(ref vr, (nuint)i);
                if (ams)
                {
                    vv = Vector512.Max(Vector512.LoadUnsafe(ref xr, (nuint)i), vv);
                    vv.StoreUnsafe(ref xr, (nuint)i);
                }
                var denom = Vector512.Sqrt(vv) / bc + ve;
                (pv + st * mv / denom).StoreUnsafe(ref pr, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(s.ParamScale); var vw = Vector256.Create(s.WeightDecay);
            var b1 = Vector256.Create(s.Beta1); var c1 = Vector256.Create(s.OneMinusBeta1);
            var b2 = Vector256.Create(s.Beta2); var c2 = Vector256.Create(s.OneMinusBeta2);
            var bc = Vector256.Create(s.BiasCorrection2Sqrt); var ve = Vector256.Create(s.Eps); var st = Vector256.Create(s.NegStepSize);
            for (; i <= n - 8; i += 8)
            {
                var pv = Vector256.LoadUnsafe(ref pr, (nuint)i);
                if (scale) pv *= vs;
                var gv = Vector256.LoadUnsafe(ref gr, (nuint)i);
                if (decay) gv = Vector256.FusedMultiplyAdd(pv, vw, gv);
                var mv = Vector256.FusedMultiplyAdd(gv, c1, Vector256.LoadUnsafe(ref mr, (nuint)i) * b1);
                var vv = Vector256.FusedMultiplyAdd(c2 * gv, gv, Vector256.LoadUnsafe(ref vr, (nuint)i) * b2);
                mv.StoreUnsafe(ref mr, (nuint)i);
                vv.StoreUnsafe(ref vr, (nuint)i);
                if (ams)
                {
                    vv = Vector256.Max(Vector256.LoadUnsafe(ref xr, (nuint)i), vv);
                    vv.StoreUnsafe(ref xr, (nuint)i);
                }
                var denom = Vector256.Sqrt(vv) / bc + ve;
                (pv + st * mv / denom).StoreUnsafe(ref pr, (nuint)i);
            }
        }
        AdamScalar(p, g, m, v, vmax, s, i);
    }

    internal static void AdamScalar(
        Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, Span<float> vmax, in AdamScalars s, int from = 0)
    {
        KernelArgs.SameLength(p.Length, g.Length, nameof(g));
        KernelArgs.SameLength(p.Length, m.Length, nameof(m));
        KernelArgs.SameLength(p.Length, v.Length, nameof(v));
        bool ams = !vmax.IsEmpty;
        if (ams) KernelArgs.SameLength(p.Length, vmax.Length, nameof(vmax));
        for (int i = from; i < p.Length; i++)
        {
            float pv = p[i];
            if (s.ParamScale != 1f) pv *= s.ParamScale;
            float gv = s.WeightDecay != 0f ? MathF.FusedMultiplyAdd(pv, s.WeightDecay, g[i]) : g[i];
            float mv = MathF.FusedMultiplyAdd(gv, s.OneMinusBeta1, m[i] * s.Beta1);
            float vv = MathF.FusedMultiplyAdd(s.OneMinusBeta2 * gv, gv, v[i] * s.Beta2);
            m[i] = mv;
            v[i] = vv;
            if (ams) vmax[i] = vv = MathF.Max(vmax[i], vv);
            float denom = Add(MathF.Sqrt(vv) / s.BiasCorrection2Sqrt, s.Eps);
            p[i] = Add(pv, Mul(s.NegStepSize, mv) / denom);
        }
    }

    // ---------------- Adadelta ----------------

    /// <summary>Scalars of one Adadelta step, rounded to float32.</summary>
    public readonly record struct AdadeltaScalars(float NegLr, float Rho, float OneMinusRho, float Eps, float WeightDecay);

    /// <summary>
    /// <c>g' = g + wd·p; sq = ρ·sq + (1−ρ)·g'²; δ = sqrt(acc + eps) / sqrt(sq + eps) · g'; acc = ρ·acc + (1−ρ)·δ²; p ← p − lr·δ</c>.
    /// </summary>
    public static void Adadelta(Span<float> p, ReadOnlySpan<float> g, Span<float> sq, Span<float> acc, in AdadeltaScalars s)
    {
        KernelArgs.SameLength(p.Length, g.Length, nameof(g));
        KernelArgs.SameLength(p.Length, sq.Length, nameof(sq));
        KernelArgs.SameLength(p.Length, acc.Length, nameof(acc));
        int i = 0, n = p.Length;
        ref float pr = ref MemoryMarshal.GetReference(p);
        ref float gr = ref MemoryMarshal.GetReference(g);
        ref float sr = ref MemoryMarshal.GetReference(sq);
        ref float ar = ref MemoryMarshal.GetReference(acc);
        bool decay = s.WeightDecay != 0f;
        if (Vector512.IsHardwareAccelerated)
        {
            var vl = Vector512.Create(s.NegLr); var vr = Vector512.Create(s.Rho); var vc = Vector512.Create(s.OneMinusRho);
            var ve = Vector512.Create(s.Eps); var vw = Vector512.Create(s.WeightDecay);
            for (; i <= n - 16; i += 16)
            {
                var pv = Vector512.LoadUnsafe(ref pr, (nuint)i);
                var gv = Vector512.LoadUnsafe(ref gr, (nuint)i);
                if (decay) gv = Vector512.FusedMultiplyAdd(pv, vw, gv);
                var sv = Vector512.FusedMultiplyAdd(vc * gv, gv, Vector512.LoadUnsafe(ref sr, (nuint)i) * vr);
                sv.StoreUnsafe(ref sr, (nuint)i);
                var av = Vector512.LoadUnsafe(ref ar, (nuint)i);
                var delta = Vector512.Sqrt(av + ve) / Vector512.Sqrt(sv + ve) * gv;
                Vector512.FusedMultiplyAdd(vc * delta, delta, av * vr).StoreUnsafe(ref ar, (nuint)i);
                Vector512.FusedMultiplyAdd(delta, vl, pv).StoreUnsafe(ref pr, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vl = Vector256.Create(s.NegLr); var vr = Vector256.Create(s.Rho); var vc = Vector256.Create(s.OneMinusRho);
            var ve = Vector256.Create(s.Eps); var vw = Vector256.Create(s.WeightDecay);
            for (; i <= n - 8; i += 8)
            {
                var pv = Vector256.LoadUnsafe(ref pr, (nuint)i);
                var gv = Vector256.LoadUnsafe(ref gr, (nuint)i);
                if (decay) gv = Vector256.FusedMultiplyAdd(pv, vw, gv);
                var sv = Vector256.FusedMultiplyAdd(vc * gv, gv, Vector256.LoadUnsafe(ref sr, (nuint)i) * vr);
                sv.StoreUnsafe(ref sr, (nuint)i);
                var av = Vector256.LoadUnsafe(ref ar, (nuint)i);
                var delta = Vector256.Sqrt(av + ve) / Vector256.Sqrt(sv + ve) * gv;
                Vector256.FusedMultiplyAdd(vc * delta, delta, av * vr).StoreUnsafe(ref ar, (nuint)i);
                Vector256.FusedMultiplyAdd(delta, vl, pv).StoreUnsafe(ref pr, (nuint)i);
            }
        }
        AdadeltaScalar(p, g, sq, acc, s, i);
    }

    internal static void AdadeltaScalar(
        Span<float> p, ReadOnlySpan<float> g, Span<float> sq, Span<float> acc, in AdadeltaScalars s, int from = 0)
    {
        KernelArgs.SameLength(p.Length, g.Length, nameof(g));
        KernelArgs.SameLength(p.Length, sq.Length, nameof(sq));
        KernelArgs.SameLength(p.Length, acc.Length, nameof(acc));
        for (int i = from; i < p.Length; i++)
        {
            float gv = s.WeightDecay != 0f ? MathF.FusedMultiplyAdd(p[i], s.WeightDecay, g[i]) : g[i];
            float sv = MathF.FusedMultiplyAdd(s.OneMinusRho * gv, gv, sq[i] * s.Rho);
            sq[i] = sv;
            float av = acc[i];
            float delta = MathF.Sqrt(av + s.Eps) / MathF.Sqrt(sv + s.Eps) * gv;
            acc[i] = MathF.FusedMultiplyAdd(s.OneMinusRho * delta, delta, av * s.Rho);
            p[i] = MathF.FusedMultiplyAdd(delta, s.NegLr, p[i]);
        }
    }

    // RyuJIT does not contract a*b+c into an fma, but these keep the scalar twin's roundings explicit.
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static float Add(float a, float b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static float Mul(float a, float b) => a * b;
}
