namespace Xent;

/// <summary>
/// A seedable pseudo-random generator (xoshiro256**) for tensor creation, shuffling, dropout and
/// initialisation. The same random seed gives the same stream on every machine and thread count.
/// Streams differ from PyTorch's: a random seed reproduces Xent runs, not PyTorch runs.
/// </summary>
/// <remarks>
/// Thread-safe, as PyTorch's CPU generator is: each draw (and each tensor filled from it, as a whole) holds the generator's
/// lock, so threads sharing one (<see cref="Default"/> above all) never get repeated or torn values. Which thread gets which
/// part of the stream then depends on timing: give each thread its own generator where runs must repeat.
/// </remarks>
public sealed class Generator
{
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareGaussian;
    private readonly Lock _gate = new();

    /// <summary>The generator used when none is passed (seed 0 until <see cref="ManualSeed"/> is called).</summary>
    public static Generator Default { get; } = new(0);

    /// <summary>Creates a generator with the given random seed.</summary>
    public Generator(long seed) => ManualSeed(seed);

    /// <summary>Resets the stream to the one the random seed defines.</summary>
    public Generator ManualSeed(long seed)
    {
        ulong x = unchecked((ulong)seed);
        lock (_gate)
        {
            _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
            _spareGaussian = null;
        }
        return this;
    }

    /// <summary>Holds the generator for a run of <c>Draw…</c> calls (one lock for a whole tensor, not one per value).</summary>
    internal Lock.Scope Hold() => _gate.EnterScope();

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        lock (_gate) return DrawUInt64();
    }

    /// <summary>Uniform in [0, 1) with 24 random bits (every float32 value it returns is exact).</summary>
    public float NextFloat()
    {
        lock (_gate) return DrawFloat();
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble()
    {
        lock (_gate) return DrawDouble();
    }

    /// <summary>Uniform integer in [low, high).</summary>
    public long NextInt64(long low, long high)
    {
        lock (_gate) return DrawInt64(low, high);
    }

    /// <summary>Standard normal sample (Box–Muller, computed in float64).</summary>
    public double NextGaussian()
    {
        lock (_gate) return DrawGaussian();
    }

    // The Draw… methods advance the stream without taking the lock: the caller holds it (Hold()).

    internal ulong DrawUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3; _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    internal float DrawFloat() => (DrawUInt64() >> 40) * (1.0f / (1 << 24));

    internal double DrawDouble() => (DrawUInt64() >> 11) * (1.0 / (1UL << 53));

    internal long DrawInt64(long low, long high)
    {
        if (high <= low) throw new ArgumentException($"random range is empty: low ({low}) must be less than high ({high}).");
        ulong range = (ulong)(high - low);
        // Lemire's nearly-divisionless method keeps the result unbiased.
        UInt128 m = (UInt128)DrawUInt64() * range;
        if ((ulong)m < range)
        {
            ulong threshold = (0 - range) % range;
            while ((ulong)m < threshold) m = (UInt128)DrawUInt64() * range;
        }
        return low + (long)(ulong)(m >> 64);
    }

    internal double DrawGaussian()
    {
        if (_spareGaussian is double spare) { _spareGaussian = null; return spare; }
        double u1;
        do u1 = DrawDouble(); while (u1 <= double.Epsilon);
        double u2 = DrawDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareGaussian = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Fisher–Yates permutation of 0..n-1 (PyTorch's <c>randperm</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="n"/> is negative.</exception>
    public int[] Permutation(int n)
    {
        if (n < 0) throw new ArgumentException($"Trying to create tensor with negative dimension {n}: [{n}]", nameof(n));
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        Shuffle(p);
        return p;
    }

    /// <summary>Fisher–Yates shuffle of <paramref name="items"/> in place, holding the generator once.</summary>
    internal void Shuffle<T>(Span<T> items)
    {
        using var _ = Hold();
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = (int)DrawInt64(0, i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
