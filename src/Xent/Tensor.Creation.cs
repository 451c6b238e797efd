namespace Xent;

public partial class Tensor
{
    private static int[] CheckShape(int[] shape)
    {
        Shapes.NumEl(shape);
        return (int[])shape.Clone();
    }

    /// <summary>A float32 tensor over a copy of <paramref name="data"/> with the given shape (1-D when omitted).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> or <paramref name="shape"/> is null.</exception>
    /// <exception cref="ArgumentException">The shape has a negative size or does not hold the data's length.</exception>
    public static Tensor FromArray(float[] data, params int[] shape) =>
        new((float[])NotNull(data).Clone(), NotNull(shape).Length == 0 ? [data.Length] : CheckShape(shape));

    /// <summary>An int64 tensor over a copy of <paramref name="data"/> with the given shape (1-D when omitted).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> or <paramref name="shape"/> is null.</exception>
    /// <exception cref="ArgumentException">The shape has a negative size or does not hold the data's length.</exception>
    public static Tensor FromArray(long[] data, params int[] shape) =>
        new((long[])NotNull(data).Clone(), NotNull(shape).Length == 0 ? [data.Length] : CheckShape(shape));

    /// <summary>An int64 tensor from int values (class indices written as int literals).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> or <paramref name="shape"/> is null.</exception>
    public static Tensor FromArray(int[] data, params int[] shape) =>
        new(Array.ConvertAll(NotNull(data), x => (long)x), NotNull(shape).Length == 0 ? [data.Length] : CheckShape(shape));

    /// <summary>A 2-D float32 tensor from a rectangular array, like <c>torch.tensor([[…], […]])</c>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    public static Tensor FromArray(float[,] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        int rows = data.GetLength(0), cols = data.GetLength(1);
        var flat = new float[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                flat[i * cols + j] = data[i, j];
        return new Tensor(flat, [rows, cols]);
    }

    /// <summary>Throws <see cref="ArgumentNullException"/> (naming the argument) for a null array, instead of a null dereference.</summary>
    private static T NotNull<T>(T? value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null)
        where T : class => value ?? throw new ArgumentNullException(name);

    /// <summary>A 0-d float32 tensor.</summary>
    public static Tensor Scalar(float value) => new([value], []);

    /// <summary>A 0-d int64 tensor.</summary>
    public static Tensor Scalar(long value) => new([value], []);

    /// <summary>A float32 tensor of zeros.</summary>
    public static Tensor Zeros(params int[] shape) => new(new float[Shapes.NumEl(shape)], CheckShape(shape));

    /// <summary>An int64 tensor of zeros.</summary>
    public static Tensor ZerosInt64(params int[] shape) => new(new long[Shapes.NumEl(shape)], CheckShape(shape));

    /// <summary>A float32 tensor of ones.</summary>
    public static Tensor Ones(params int[] shape) => Full(1f, shape);

    /// <summary>A float32 tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(float value, params int[] shape)
    {
        var data = new float[Shapes.NumEl(shape)];
        data.AsSpan().Fill(value);
        return new Tensor(data, CheckShape(shape));
    }

    /// <summary>Zeros with the shape and dtype of <paramref name="t"/>.</summary>
    public static Tensor ZerosLike(Tensor t) => t.DType == DType.Float32 ? Zeros(t._shape) : ZerosInt64(t._shape);

    /// <summary>Float32 ones with the shape of <paramref name="t"/>.</summary>
    public static Tensor OnesLike(Tensor t) => Ones(t._shape);

    /// <summary>Int64 values start, start+step, … below end, like <c>torch.arange(start, end, step)</c>.</summary>
    public static Tensor Arange(long start, long end, long step = 1)
    {
        if (step == 0) throw new ArgumentException("Arange: step must be nonzero.", nameof(step));
        // In 128 bits: end − start + step can pass the range of long (PyTorch: "invalid size, possible overflow?").
        Int128 count = Int128.Max(0, ((Int128)end - start + step - Math.Sign(step)) / step);
        if (count > Array.MaxLength)
            throw new ArgumentException($"Arange({start}, {end}, {step}) has {count} elements, more than the {Array.MaxLength} an " +
                "array holds.");
        int n = (int)count;
        var data = new long[n];
        for (int i = 0; i < n; i++) data[i] = start + i * step;
        return new Tensor(data, [n]);
    }

    /// <summary>Int64 values 0 … end-1, like <c>torch.arange(end)</c>.</summary>
    public static Tensor Arange(long end) => Arange(0, end);

    /// <summary>Float32 values start, start+step, … below end (count computed in float64, as PyTorch does).</summary>
    /// <exception cref="ArgumentException"><paramref name="step"/> is zero or a bound or the step is infinite or NaN
    /// (PyTorch: "unsupported range: 0 -> nan").</exception>
    public static Tensor Arange(float start, float end, float step = 1f)
    {
        if (step == 0) throw new ArgumentException("Arange: step must be nonzero.", nameof(step));
        // Without this a NaN bound gives an empty tensor and an infinite one an overflowing count.
        if (!float.IsFinite(start) || !float.IsFinite(end))
            throw new ArgumentException(FormattableString.Invariant($"Arange: unsupported range: {start} -> {end}."),
                float.IsFinite(start) ? nameof(end) : nameof(start));
        if (!float.IsFinite(step))
            throw new ArgumentException(FormattableString.Invariant($"Arange: step must be finite, but got {step}."), nameof(step));
        double count = Math.Max(0, Math.Ceiling(((double)end - start) / step));
        if (count > Array.MaxLength)
            throw new ArgumentException(FormattableString.Invariant(
                $"Arange({start}, {end}, {step}) has {count} elements, more than the {Array.MaxLength} an array holds."));
        int n = (int)count;
        var data = new float[n];
        for (int i = 0; i < n; i++) data[i] = (float)(start + (double)i * step);
        return new Tensor(data, [n]);
    }

    /// <summary>Uniform samples in [0, 1), like <c>torch.rand</c>.</summary>
    public static Tensor Rand(int[] shape, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var data = new float[Shapes.NumEl(shape)];
        using (g.Hold())
            for (int i = 0; i < data.Length; i++) data[i] = g.DrawFloat();
        return new Tensor(data, CheckShape(shape));
    }

    /// <summary>Uniform samples in [0, 1) from the default generator.</summary>
    public static Tensor Rand(params int[] shape) => Rand(shape, null);

    /// <summary>Standard normal samples, like <c>torch.randn</c>.</summary>
    public static Tensor Randn(int[] shape, Generator? generator = null)
    {
        var g = generator ?? Generator.Default;
        var data = new float[Shapes.NumEl(shape)];
        using (g.Hold())
            for (int i = 0; i < data.Length; i++) data[i] = (float)g.DrawGaussian();
        return new Tensor(data, CheckShape(shape));
    }

    /// <summary>Standard normal samples from the default generator.</summary>
    public static Tensor Randn(params int[] shape) => Randn(shape, null);

    /// <summary>Uniform int64 values in [low, high), like <c>torch.randint(low, high, shape)</c>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="shape"/> is null.</exception>
    /// <exception cref="ArgumentException">The range is empty (<paramref name="high"/> ≤ <paramref name="low"/>) and a value
    /// is drawn, or a dimension of <paramref name="shape"/> is negative.</exception>
    public static Tensor RandInt(long low, long high, int[] shape, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var g = generator ?? Generator.Default;
        var data = new long[Shapes.NumEl(shape)];
        using (g.Hold())
            for (int i = 0; i < data.Length; i++) data[i] = g.DrawInt64(low, high);
        return new Tensor(data, CheckShape(shape));
    }

    /// <summary>Uniform int64 values in [0, high), like <c>torch.randint(high, shape)</c>.</summary>
    public static Tensor RandInt(long high, int[] shape, Generator? generator = null) => RandInt(0, high, shape, generator);

    /// <summary>A random permutation of 0 … n-1 as int64, like <c>torch.randperm</c>.</summary>
    public static Tensor RandPerm(int n, Generator? generator = null) =>
        new(Array.ConvertAll((generator ?? Generator.Default).Permutation(n), x => (long)x), [n]);

    /// <summary>Sets the default generator's random seed, like <c>torch.manual_seed</c>.</summary>
    public static void ManualSeed(long seed) => Generator.Default.ManualSeed(seed);
}
