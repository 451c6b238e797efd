using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Xent.Kernels;

/// <summary>
/// Vectorised exp and the row primitives that softmax and cross-entropy are built from
/// (max, online log-sum-exp, exp-and-sum, affine exp). Each primitive has a Vector512 path,
/// a Vector256 path and a scalar tail; the exp is Cephes' single-precision expf
/// (Cody–Waite range reduction, degree-5 polynomial), within 2 ulp of the exact result over
/// the whole float range including subnormal results, exp(−inf) = 0, exp(NaN) = NaN.
/// Row primitives are compiled fully optimised at once (AggressiveOptimization): tier-0 code of a
/// Vector512 loop is many times slower, and a training run's first steps would pay for it.
/// </summary>
internal static unsafe class VectorMath
{
    private const float Log2E = 1.44269504088896341f;
    // ln 2 split so that n * Ln2Hi is exact for |n| ≤ 2^9 (Cody–Waite).
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;
    // Beyond these the result is +inf / 0; clamping keeps n within [-150, 128].
    private const float MaxArg = 88.7228394f;
    private const float MinArg = -103.972084f;
    // 1.5 * 2^23: adding it rounds to the nearest integer and leaves the integer in the low mantissa bits.
    private const float RoundMagic = 12582912f;
    private const int RoundMagicBits = 0x4B400000;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f;
    private const float P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /// <summary>e^x lane-wise, ≤ 2 ulp.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        // MaxNative/MinNative return the second operand when either is NaN, so NaN survives the clamp.
        var xc = Vector512.MinNative(Vector512.Create(MaxArg), Vector512.MaxNative(Vector512.Create(MinArg), x));
        var t = Vector512.FusedMultiplyAdd(xc, Vector512.Create(Log2E), Vector512.Create(RoundMagic));
        var n = t - Vector512.Create(RoundMagic);
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Hi), xc);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Lo), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(P0), r, Vector512.Create(P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(P5));
        p = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        // vscalefps: p·2^n in one instruction, rounding subnormal results once, correctly.
        if (Avx512F.IsSupported) return Avx512F.Scale(p, n);
        // 2^n as two normal factors 2^(n>>1) * 2^(n - n>>1) so subnormal results round once, correctly.
        var ni = t.AsInt32() - Vector512.Create(RoundMagicBits);
        var n1 = Vector512.ShiftRightArithmetic(ni, 1);
        var n2 = ni - n1;
        var s1 = Vector512.ShiftLeft(n1 + Vector512.Create(127), 23).AsSingle();
        var s2 = Vector512.ShiftLeft(n2 + Vector512.Create(127), 23).AsSingle();
        return p * s1 * s2;
    }

    /// <summary>e^x lane-wise, ≤ 2 ulp.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var xc = Vector256.MinNative(Vector256.Create(MaxArg), Vector256.MaxNative(Vector256.Create(MinArg), x));
        var t = Vector256.FusedMultiplyAdd(xc, Vector256.Create(Log2E), Vector256.Create(RoundMagic));
        var n = t - Vector256.Create(RoundMagic);
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Hi), xc);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Lo), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(P0), r, Vector256.Create(P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(P5));
        p = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        if (Avx512F.VL.IsSupported) return Avx512F.VL.Scale(p, n);
        var ni = t.AsInt32() - Vector256.Create(RoundMagicBits);
        var n1 = Vector256.ShiftRightArithmetic(ni, 1);
        var n2 = ni - n1;
        var s1 = Vector256.ShiftLeft(n1 + Vector256.Create(127), 23).AsSingle();
        var s2 = Vector256.ShiftLeft(n2 + Vector256.Create(127), 23).AsSingle();
        return p * s1 * s2;
    }

    /// <summary>Scalar e^x with the same operations as the vector paths, so tails round identically.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Exp(float x)
    {
        float xc = x > MaxArg ? MaxArg : x < MinArg ? MinArg : x; // NaN fails both compares and stays
        float t = MathF.FusedMultiplyAdd(xc, Log2E, RoundMagic);
        float n = t - RoundMagic;
        float r = MathF.FusedMultiplyAdd(n, -Ln2Hi, xc);
        r = MathF.FusedMultiplyAdd(n, -Ln2Lo, r);
        float p = MathF.FusedMultiplyAdd(P0, r, P1);
        p = MathF.FusedMultiplyAdd(p, r, P2);
        p = MathF.FusedMultiplyAdd(p, r, P3);
        p = MathF.FusedMultiplyAdd(p, r, P4);
        p = MathF.FusedMultiplyAdd(p, r, P5);
        p = MathF.FusedMultiplyAdd(p, r * r, r) + 1f;
        int ni = BitConverter.SingleToInt32Bits(t) - RoundMagicBits;
        int n1 = ni >> 1, n2 = ni - n1;
        return p * BitConverter.Int32BitsToSingle((n1 + 127) << 23) * BitConverter.Int32BitsToSingle((n2 + 127) << 23);
    }

    private const float Sqrt2 = 1.41421356237f;
    private const float L0 = 7.0376836292e-2f, L1 = -1.1514610310e-1f, L2 = 1.1676998740e-1f, L3 = -1.2420140846e-1f;
    private const float L4 = 1.4249322787e-1f, L5 = -1.6668057665e-1f, L6 = 2.0000714765e-1f, L7 = -2.4999993993e-1f;
    private const float L8 = 3.3333331174e-1f;

    /// <summary>
    /// ln x lane-wise (Cephes' logf: x = 2^e·m with m in [√½, √2), a degree-8 polynomial in m − 1), within
    /// 2 ulp for positive normal and subnormal x; ln 0 = −inf, ln(+inf) = +inf, negative x or NaN give NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Log(Vector512<float> x)
    {
        // Subnormals are scaled into the normal range first (2^23) and their exponent corrected.
        var sub = Vector512.LessThan(x, Vector512.Create(1.17549435e-38f));
        var xs = Vector512.ConditionalSelect(sub, x * Vector512.Create(8388608f), x);
        var bits = xs.AsInt32();
        var e = Vector512.ConvertToSingle(Vector512.ShiftRightArithmetic(bits, 23) - Vector512.Create(127))
            - (Vector512.Create(23f) & sub);
        var m = ((bits & Vector512.Create(0x007FFFFF)) | Vector512.Create(0x3F800000)).AsSingle(); // [1, 2)
        var big = Vector512.GreaterThan(m, Vector512.Create(Sqrt2));
        m = Vector512.ConditionalSelect(big, m * Vector512.Create(0.5f), m);
        e += Vector512<float>.One & big;
        var f = m - Vector512<float>.One;
        var z = f * f;
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(L0), f, Vector512.Create(L1));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L2));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L3));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L4));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L5));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L6));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L7));
        p = Vector512.FusedMultiplyAdd(p, f, Vector512.Create(L8));
        var y = p * f * z;
        y = Vector512.FusedMultiplyAdd(e, Vector512.Create(Ln2Lo), y);
        y = Vector512.FusedMultiplyAdd(z, Vector512.Create(-0.5f), y);
        var r = Vector512.FusedMultiplyAdd(e, Vector512.Create(Ln2Hi), f + y);
        // ln 0 = −inf, ln(+inf) = +inf, ln(x < 0) = NaN; NaN fails every compare and is passed through.
        r = Vector512.ConditionalSelect(Vector512.Equals(x, Vector512<float>.Zero), Vector512.Create(float.NegativeInfinity), r);
        r = Vector512.ConditionalSelect(Vector512.Equals(x, Vector512.Create(float.PositiveInfinity)), x, r);
        var ok = Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero);
        return Vector512.ConditionalSelect(ok, r, Vector512.Create(float.NaN));
    }

    private static bool Use512(int n) => Vector512.IsHardwareAccelerated && n >= Vector512<float>.Count;
    private static bool Use256(int n) => Vector256.IsHardwareAccelerated && n >= Vector256<float>.Count;

    /// <summary>Largest element (NaN may or may not win; callers feed the max into exp, which propagates NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Max(ReadOnlySpan<float> x)
    {
        ref float p = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        float m = float.NegativeInfinity;
        if (Use512(n))
        {
            var a = Vector512.Create(float.NegativeInfinity);
            var b = a;
            for (; i <= n - 32; i += 32)
            {
                a = Vector512.MaxNative(a, Vector512.LoadUnsafe(ref p, (nuint)i));
                b = Vector512.MaxNative(b, Vector512.LoadUnsafe(ref p, (nuint)(i + 16)));
            }
            for (; i <= n - 16; i += 16) a = Vector512.MaxNative(a, Vector512.LoadUnsafe(ref p, (nuint)i));
            m = Vector512.Max(a, b).ToScalarMax();
        }
        else if (Use256(n))
        {
            var a = Vector256.Create(float.NegativeInfinity);
            for (; i <= n - 8; i += 8) a = Vector256.MaxNative(a, Vector256.LoadUnsafe(ref p, (nuint)i));
            m = a.ToScalarMax();
        }
        for (; i < n; i++) m = MathF.Max(m, Unsafe.Add(ref p, i));
        return m;
    }

    private static float ToScalarMax(this Vector512<float> v) => MathF.Max(v.GetLower().ToScalarMax(), v.GetUpper().ToScalarMax());
    private static float ToScalarMax(this Vector256<float> v)
    {
        float m = v[0];
        for (int k = 1; k < Vector256<float>.Count; k++) m = MathF.Max(m, v[k]);
        return m;
    }

    /// <summary>
    /// Row max m and log Σ e^(x − m) in one pass (online softmax): each lane keeps a running max
    /// and a running sum rescaled only when its max grows; lanes are merged at the end. The pair is
    /// kept apart because (x − m) − logSum is exact where x − (m + logSum) loses the small
    /// logSum next to a large m. All −inf → logSum NaN (as PyTorch's log_softmax); NaN or +inf → NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float MaxLogSumExp(ReadOnlySpan<float> x, out float logSum)
    {
        ref float p = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        // Finite sentinel: exp(−inf − sentinel) = 0 where exp(−inf − (−inf)) would be NaN.
        float m = -float.MaxValue, s = 0f;
        if (Use512(n))
        {
            var vm = Vector512.Create(-float.MaxValue);
            var vs = Vector512<float>.Zero;
            for (; i <= n - 32; i += 32)
            {
                var x0 = Vector512.LoadUnsafe(ref p, (nuint)i);
                var x1 = Vector512.LoadUnsafe(ref p, (nuint)(i + 16));
                var mNew = Vector512.MaxNative(vm, Vector512.MaxNative(x0, x1));
                if (!Vector512.EqualsAll(mNew, vm))
                {
                    vs *= Exp(vm - mNew);
                    vm = mNew;
                }
                vs += Exp(x0 - vm) + Exp(x1 - vm);
            }
            for (; i <= n - 16; i += 16)
            {
                var x0 = Vector512.LoadUnsafe(ref p, (nuint)i);
                var mNew = Vector512.MaxNative(vm, x0);
                if (!Vector512.EqualsAll(mNew, vm))
                {
                    vs *= Exp(vm - mNew);
                    vm = mNew;
                }
                vs += Exp(x0 - vm);
            }
            m = vm.ToScalarMax();
            s = Vector512.Sum(vs * Exp(vm - Vector512.Create(m)));
        }
        else if (Use256(n))
        {
            var vm = Vector256.Create(-float.MaxValue);
            var vs = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var x0 = Vector256.LoadUnsafe(ref p, (nuint)i);
                var mNew = Vector256.MaxNative(vm, x0);
                if (!Vector256.EqualsAll(mNew, vm))
                {
                    vs *= Exp(vm - mNew);
                    vm = mNew;
                }
                vs += Exp(x0 - vm);
            }
            m = vm.ToScalarMax();
            s = Vector256.Sum(vs * Exp(vm - Vector256.Create(m)));
        }
        for (; i < n; i++)
        {
            float xi = Unsafe.Add(ref p, i);
            if (xi > m)
            {
                s *= Exp(m - xi);
                m = xi;
            }
            s += Exp(xi - m); // NaN xi fails the compare but poisons s here
        }
        logSum = s == 0f ? float.NaN : MathF.Log(s);
        return m;
    }

    /// <summary>y = e^(x − shift); returns Σ y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float ExpStoreSum(ReadOnlySpan<float> x, float shift, Span<float> y)
    {
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        float s = 0f;
        if (Use512(n))
        {
            var vsh = Vector512.Create(shift);
            var s0 = Vector512<float>.Zero;
            var s1 = Vector512<float>.Zero;
            for (; i <= n - 32; i += 32)
            {
                var e0 = Exp(Vector512.LoadUnsafe(ref px, (nuint)i) - vsh);
                var e1 = Exp(Vector512.LoadUnsafe(ref px, (nuint)(i + 16)) - vsh);
                e0.StoreUnsafe(ref py, (nuint)i);
                e1.StoreUnsafe(ref py, (nuint)(i + 16));
                s0 += e0;
                s1 += e1;
            }
            for (; i <= n - 16; i += 16)
            {
                var e0 = Exp(Vector512.LoadUnsafe(ref px, (nuint)i) - vsh);
                e0.StoreUnsafe(ref py, (nuint)i);
                s0 += e0;
            }
            s = Vector512.Sum(s0 + s1);
        }
        else if (Use256(n))
        {
            var vsh = Vector256.Create(shift);
            var s0 = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var e0 = Exp(Vector256.LoadUnsafe(ref px, (nuint)i) - vsh);
                e0.StoreUnsafe(ref py, (nuint)i);
                s0 += e0;
            }
            s = Vector256.Sum(s0);
        }
        for (; i < n; i++)
        {
            float e = Exp(Unsafe.Add(ref px, i) - shift);
            Unsafe.Add(ref py, i) = e;
            s += e;
        }
        return s;
    }

    /// <summary>Σ w_c (x_c − shift), or Σ (x_c − shift) when <paramref name="w"/> is empty.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float SumWeightedDiff(ReadOnlySpan<float> x, ReadOnlySpan<float> w, float shift)
    {
        bool weighted = !w.IsEmpty;
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pw = ref MemoryMarshal.GetReference(w);
        int n = x.Length, i = 0;
        float s = 0f;
        if (Use512(n))
        {
            var vsh = Vector512.Create(shift);
            var acc = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var d = Vector512.LoadUnsafe(ref px, (nuint)i) - vsh;
                acc += weighted ? d * Vector512.LoadUnsafe(ref pw, (nuint)i) : d;
            }
            s = Vector512.Sum(acc);
        }
        else if (Use256(n))
        {
            var vsh = Vector256.Create(shift);
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
            {
                var d = Vector256.LoadUnsafe(ref px, (nuint)i) - vsh;
                acc += weighted ? d * Vector256.LoadUnsafe(ref pw, (nuint)i) : d;
            }
            s = Vector256.Sum(acc);
        }
        for (; i < n; i++)
        {
            float d = Unsafe.Add(ref px, i) - shift;
            s += weighted ? d * Unsafe.Add(ref pw, i) : d;
        }
        return s;
    }

    /// <summary>
    /// y = a·e^((x − shift) − shift2) − b·w_c (b alone when <paramref name="w"/> is empty). <paramref name="y"/> may
    /// alias <paramref name="x"/>. With <paramref name="nonTemporal"/> (y must then be pinned) the Vector512 path
    /// streams y past the cache: no read-for-ownership of lines that are only written, which is what
    /// keeps a fused cross-entropy step near memcpy speed; the caller issues the store fence.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ExpAffine(ReadOnlySpan<float> x, float shift, float shift2, float a, float b, ReadOnlySpan<float> w, Span<float> y,
        bool nonTemporal = false)
    {
        bool weighted = !w.IsEmpty;
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pw = ref MemoryMarshal.GetReference(w);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (Use512(n))
        {
            var vsh = Vector512.Create(shift);
            var vsh2 = Vector512.Create(shift2);
            var va = Vector512.Create(a);
            var vb = Vector512.Create(b);
            float* yp = (float*)Unsafe.AsPointer(ref py);
            int head = (int)((64 - ((nuint)yp & 63)) & 63) / sizeof(float);
            if (nonTemporal && ((nuint)yp & 3) == 0 && head + 16 <= n)
            {
                for (; i < head; i++)
                    yp[i] = a * Exp(Unsafe.Add(ref px, i) - shift - shift2) - (weighted ? b * Unsafe.Add(ref pw, i) : b);
                for (; i <= n - 16; i += 16)
                {
                    var e = va * Exp(Vector512.LoadUnsafe(ref px, (nuint)i) - vsh - vsh2);
                    var c = weighted ? vb * Vector512.LoadUnsafe(ref pw, (nuint)i) : vb;
                    Vector512.StoreAlignedNonTemporal(e - c, yp + i);
                }
            }
            for (; i <= n - 16; i += 16)
            {
                var e = va * Exp(Vector512.LoadUnsafe(ref px, (nuint)i) - vsh - vsh2);
                var c = weighted ? vb * Vector512.LoadUnsafe(ref pw, (nuint)i) : vb;
                (e - c).StoreUnsafe(ref py, (nuint)i);
            }
        }
        else if (Use256(n))
        {
            var vsh = Vector256.Create(shift);
            var vsh2 = Vector256.Create(shift2);
            var va = Vector256.Create(a);
            var vb = Vector256.Create(b);
            for (; i <= n - 8; i += 8)
            {
                var e = va * Exp(Vector256.LoadUnsafe(ref px, (nuint)i) - vsh - vsh2);
                var c = weighted ? vb * Vector256.LoadUnsafe(ref pw, (nuint)i) : vb;
                (e - c).StoreUnsafe(ref py, (nuint)i);
            }
        }
        for (; i < n; i++)
            Unsafe.Add(ref py, i) = a * Exp(Unsafe.Add(ref px, i) - shift - shift2) - (weighted ? b * Unsafe.Add(ref pw, i) : b);
    }

    /// <summary>y = a·y − b·w_c in place (b alone when <paramref name="w"/> is empty).</summary>
    public static void ScaleSub(Span<float> y, float a, float b, ReadOnlySpan<float> w) => ScaleSub(y, a, b, w, y);

    /// <summary>
    /// z = a·y − b·w_c (b alone when <paramref name="w"/> is empty); z may be y. With
    /// <paramref name="nonTemporal"/> (z must then be pinned) the Vector512 path streams z past the cache.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScaleSub(ReadOnlySpan<float> y, float a, float b, ReadOnlySpan<float> w, Span<float> z, bool nonTemporal = false)
    {
        bool weighted = !w.IsEmpty;
        ref float pw = ref MemoryMarshal.GetReference(w);
        ref float py = ref MemoryMarshal.GetReference(y);
        ref float pz = ref MemoryMarshal.GetReference(z);
        int n = y.Length, i = 0;
        if (Use512(n))
        {
            var va = Vector512.Create(a);
            var vb = Vector512.Create(b);
            float* zp = (float*)Unsafe.AsPointer(ref pz);
            int head = (int)((64 - ((nuint)zp & 63)) & 63) / sizeof(float);
            if (nonTemporal && ((nuint)zp & 3) == 0 && head + 16 <= n)
            {
                for (; i < head; i++) zp[i] = a * Unsafe.Add(ref py, i) - (weighted ? b * Unsafe.Add(ref pw, i) : b);
                for (; i <= n - 16; i += 16)
                {
                    var c = weighted ? vb * Vector512.LoadUnsafe(ref pw, (nuint)i) : vb;
                    Vector512.StoreAlignedNonTemporal(va * Vector512.LoadUnsafe(ref py, (nuint)i) - c, zp + i);
                }
            }
            for (; i <= n - 16; i += 16)
            {
                var c = weighted ? vb * Vector512.LoadUnsafe(ref pw, (nuint)i) : vb;
                (va * Vector512.LoadUnsafe(ref py, (nuint)i) - c).StoreUnsafe(ref pz, (nuint)i);
            }
        }
        else if (Use256(n))
        {
            var va = Vector256.Create(a);
            var vb = Vector256.Create(b);
            for (; i <= n - 8; i += 8)
            {
                var c = weighted ? vb * Vector256.LoadUnsafe(ref pw, (nuint)i) : vb;
                (va * Vector256.LoadUnsafe(ref py, (nuint)i) - c).StoreUnsafe(ref pz, (nuint)i);
            }
        }
        for (; i < n; i++)
            Unsafe.Add(ref pz, i) = a * Unsafe.Add(ref py, i) - (weighted ? b * Unsafe.Add(ref pw, i) : b);
    }

    /// <summary>Σ x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Sum(ReadOnlySpan<float> x)
    {
        ref float p = ref MemoryMarshal.GetReference(x);
        int n = x.Length, i = 0;
        float s = 0f;
        if (Use512(n))
        {
            var a = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16) a += Vector512.LoadUnsafe(ref p, (nuint)i);
            s = Vector512.Sum(a);
        }
        else if (Use256(n))
        {
            var a = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8) a += Vector256.LoadUnsafe(ref p, (nuint)i);
            s = Vector256.Sum(a);
        }
        for (; i < n; i++) s += Unsafe.Add(ref p, i);
        return s;
    }

    /// <summary>Σ x·y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        float s = 0f;
        if (Use512(n))
        {
            var a = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16)
                a = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref px, (nuint)i), Vector512.LoadUnsafe(ref py, (nuint)i), a);
            s = Vector512.Sum(a);
        }
        else if (Use256(n))
        {
            var a = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8)
                a = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref px, (nuint)i), Vector256.LoadUnsafe(ref py, (nuint)i), a);
            s = Vector256.Sum(a);
        }
        for (; i < n; i++) s += Unsafe.Add(ref px, i) * Unsafe.Add(ref py, i);
        return s;
    }

    /// <summary>y = (x − shift) − shift2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SubScalar(ReadOnlySpan<float> x, float shift, float shift2, Span<float> y)
    {
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (Use512(n))
        {
            var v = Vector512.Create(shift);
            var v2 = Vector512.Create(shift2);
            for (; i <= n - 16; i += 16) (Vector512.LoadUnsafe(ref px, (nuint)i) - v - v2).StoreUnsafe(ref py, (nuint)i);
        }
        else if (Use256(n))
        {
            var v = Vector256.Create(shift);
            var v2 = Vector256.Create(shift2);
            for (; i <= n - 8; i += 8) (Vector256.LoadUnsafe(ref px, (nuint)i) - v - v2).StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref py, i) = Unsafe.Add(ref px, i) - shift - shift2;
    }

    /// <summary>z = y·(d − shift).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MulShifted(ReadOnlySpan<float> y, ReadOnlySpan<float> d, float shift, Span<float> z)
    {
        ref float py = ref MemoryMarshal.GetReference(y);
        ref float pd = ref MemoryMarshal.GetReference(d);
        ref float pz = ref MemoryMarshal.GetReference(z);
        int n = y.Length, i = 0;
        if (Use512(n))
        {
            var v = Vector512.Create(shift);
            for (; i <= n - 16; i += 16)
                (Vector512.LoadUnsafe(ref py, (nuint)i) * (Vector512.LoadUnsafe(ref pd, (nuint)i) - v)).StoreUnsafe(ref pz, (nuint)i);
        }
        else if (Use256(n))
        {
            var v = Vector256.Create(shift);
            for (; i <= n - 8; i += 8)
                (Vector256.LoadUnsafe(ref py, (nuint)i) * (Vector256.LoadUnsafe(ref pd, (nuint)i) - v)).StoreUnsafe(ref pz, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref pz, i) = Unsafe.Add(ref py, i) * (Unsafe.Add(ref pd, i) - shift);
    }
}
