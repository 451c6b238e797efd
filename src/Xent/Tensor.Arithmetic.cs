using System.Numerics.Tensors;

namespace Xent;

public partial class Tensor
{
    private enum BinaryOp { Add, Sub, Mul, Div }

    /// <summary>Element-wise sum with broadcasting.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Add);
    /// <summary>Element-wise difference with broadcasting.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Sub);
    /// <summary>Element-wise product with broadcasting.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Mul);
    /// <summary>Element-wise quotient with broadcasting.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Binary(a, b, BinaryOp.Div);
    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(Tensor a, float b) => a.AddScalar(b);
    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(float a, Tensor b) => b.AddScalar(a);
    /// <summary>Subtracts a scalar.</summary>
    public static Tensor operator -(Tensor a, float b) => a.AddScalar(-b);
    /// <summary>Scalar minus tensor.</summary>
    public static Tensor operator -(float a, Tensor b) => b.Neg().AddScalar(a);
    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(Tensor a, float b) => a.MulScalar(b);
    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(float a, Tensor b) => b.MulScalar(a);
    /// <summary>Divides by a scalar.</summary>
    public static Tensor operator /(Tensor a, float b) => a.MulScalar(1f / b);
    /// <summary>Scalar divided by tensor.</summary>
    public static Tensor operator /(float a, Tensor b) => Binary(Full(a, []), b, BinaryOp.Div);
    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => a.Neg();

    /// <summary>Element-wise sum with broadcasting.</summary>
    public Tensor Add(Tensor other) => this + other;
    /// <summary>Element-wise difference with broadcasting.</summary>
    public Tensor Sub(Tensor other) => this - other;
    /// <summary>Element-wise product with broadcasting.</summary>
    public Tensor Mul(Tensor other) => this * other;
    /// <summary>Element-wise quotient with broadcasting.</summary>
    public Tensor Div(Tensor other) => this / other;

    private static Tensor Binary(Tensor a, Tensor b, BinaryOp op)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        string name = op.ToString();
        a.RequireFloat(name);
        b.RequireFloat(name);
        var outShape = Shapes.Broadcast(a._shape, b._shape);
        var result = new Tensor(BroadcastCompute(a, b, outShape, op), outShape);
        return Record(result, name + "Backward", (g, _) => op switch
        {
            BinaryOp.Add => [g.SumTo(a._shape), g.SumTo(b._shape)],
            BinaryOp.Sub => [g.SumTo(a._shape), g.Neg().SumTo(b._shape)],
            BinaryOp.Mul => [(g * b).SumTo(a._shape), (g * a).SumTo(b._shape)],
            _ => [(g / b).SumTo(a._shape), (g.Neg() * a / (b * b)).SumTo(b._shape)],
        }, a, b);
    }

    private static float[] BroadcastCompute(Tensor a, Tensor b, int[] outShape, BinaryOp op)
    {
        int n = Shapes.NumEl(outShape);
        var dst = GC.AllocateUninitializedArray<float>(n);
        float[] x = a.FloatArray, y = b.FloatArray;
        if (x.Length == n && y.Length == n) { Apply(op, x, y, dst); return dst; }
        if (y.Length == 1) { ApplyScalarRight(op, x, y[0], dst); return dst; }
        if (x.Length == n && n % y.Length == 0 && TrailingMatch(b._shape, outShape))
        {
            // b broadcasts over leading dims only (a bias row, for instance): apply row by row.
            for (int o = 0; o < n; o += y.Length) Apply(op, x.AsSpan(o, y.Length), y, dst.AsSpan(o, y.Length));
            return dst;
        }
        int rank = outShape.Length;
        var sa = Shapes.BroadcastStrides(a._shape, rank);
        var sb = Shapes.BroadcastStrides(b._shape, rank);
        var index = new int[rank];
        int ia = 0, ib = 0;
        for (int o = 0; o < n; o++)
        {
            dst[o] = Scalar(op, x[ia], y[ib]);
            for (int d = rank - 1; d >= 0; d--)
            {
                index[d]++; ia += sa[d]; ib += sb[d];
                if (index[d] < outShape[d]) break;
                ia -= sa[d] * outShape[d]; ib -= sb[d] * outShape[d];
                index[d] = 0;
            }
        }
        return dst;
    }

    /// <summary>
    /// True when <paramref name="small"/> equals the trailing dims of <paramref name="full"/> (after dropping leading 1s).
    /// </summary>
    private static bool TrailingMatch(int[] small, int[] full)
    {
        int lead = 0;
        while (lead < small.Length && small[lead] == 1) lead++;
        int len = small.Length - lead;
        if (len > full.Length) return false;
        return small.AsSpan(lead).SequenceEqual(full.AsSpan(full.Length - len));
    }

    private static float Scalar(BinaryOp op, float x, float y) => op switch
    {
        BinaryOp.Add => x + y,
        BinaryOp.Sub => x - y,
        BinaryOp.Mul => x * y,
        _ => x / y,
    };

    private static void Apply(BinaryOp op, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst)
    {
        switch (op)
        {
            case BinaryOp.Add: TensorPrimitives.Add(x, y, dst); break;
            case BinaryOp.Sub: TensorPrimitives.Subtract(x, y, dst); break;
            case BinaryOp.Mul: TensorPrimitives.Multiply(x, y, dst); break;
            default: TensorPrimitives.Divide(x, y, dst); break;
        }
    }

    private static void ApplyScalarRight(BinaryOp op, ReadOnlySpan<float> x, float y, Span<float> dst)
    {
        switch (op)
        {
            case BinaryOp.Add: TensorPrimitives.Add(x, y, dst); break;
            case BinaryOp.Sub: TensorPrimitives.Subtract(x, y, dst); break;
            case BinaryOp.Mul: TensorPrimitives.Multiply(x, y, dst); break;
            default: TensorPrimitives.Divide(x, y, dst); break;
        }
    }

    /// <summary>Sums a broadcast gradient back down to <paramref name="shape"/>.</summary>
    internal Tensor SumTo(int[] shape)
    {
        if (Shapes.Equal(_shape, shape)) return this;
        var result = this;
        int lead = Rank - shape.Length;
        for (int i = 0; i < lead; i++) result = result.Sum(0);
        for (int i = 0; i < shape.Length; i++)
            if (shape[i] == 1 && result._shape[i] != 1) result = result.Sum(i, keepDim: true);
        return result.Reshape(shape);
    }

    private Tensor Unary(string name, Action<ReadOnlySpan<float>, Span<float>> forward, Func<Tensor, Tensor, Tensor> backward)
    {
        RequireFloat(name);
        var dst = GC.AllocateUninitializedArray<float>(NumEl);
        forward(FloatArray, dst);
        var result = new Tensor(dst, _shape);
        return Record(result, name + "Backward", (g, _) => [backward(g, result)], this);
    }

    /// <summary>Element-wise negation.</summary>
    public Tensor Neg() => Unary(nameof(Neg), TensorPrimitives.Negate, (g, _) => g.Neg());

    /// <summary>Element-wise eˣ.</summary>
    public Tensor Exp() => Unary(nameof(Exp), TensorPrimitives.Exp, (g, y) => g * y);

    /// <summary>Element-wise natural logarithm.</summary>
    public Tensor Log() => Unary(nameof(Log), TensorPrimitives.Log, (g, _) => g / this);

    /// <summary>Element-wise logistic sigmoid 1/(1+e⁻ˣ).</summary>
    public Tensor Sigmoid() => Unary(nameof(Sigmoid), TensorPrimitives.Sigmoid, (g, y) => g * y * (1f - y));

    /// <summary>Element-wise power by a scalar exponent.</summary>
    public Tensor Pow(float exponent) =>
        Unary(nameof(Pow), (x, d) => TensorPrimitives.Pow(x, exponent, d), (g, _) => g * Pow(exponent - 1f) * exponent);

    /// <summary>Adds a scalar.</summary>
    public Tensor AddScalar(float value) => Unary("Add", (x, d) => TensorPrimitives.Add(x, value, d), (g, _) => g);

    /// <summary>Multiplies by a scalar.</summary>
    public Tensor MulScalar(float value) => Unary("Mul", (x, d) => TensorPrimitives.Multiply(x, value, d), (g, _) => g * value);
}
