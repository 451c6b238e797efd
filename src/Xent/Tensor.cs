using System.Globalization;
using System.Text;
using Xent.Autograd;

namespace Xent;

/// <summary>
/// A dense, contiguous, row-major n-dimensional array of <see cref="DType.Float32"/> values or
/// <see cref="DType.Int64"/> indices, with reverse-mode automatic differentiation.
/// </summary>
/// <remarks>
/// Every op returns a new tensor (views such as <see cref="Reshape"/> share storage). An op whose
/// inputs require gradients records one <see cref="Node"/>; <see cref="Backward(Tensor?, bool)"/>
/// walks those nodes in reverse topological order.
/// </remarks>
public partial class Tensor
{
    private readonly float[]? _float;
    private readonly long[]? _long;
    private readonly int[] _shape;
    private bool _requiresGrad;

    internal Tensor(float[] data, int[] shape)
    {
        if (data.Length != Shapes.NumEl(shape))
            throw new ArgumentException($"Data has {data.Length} elements but shape {Shapes.Format(shape)} needs {Shapes.NumEl(shape)}.");
        _float = data;
        _shape = shape;
        StepArena.Track(this, data);
    }

    internal Tensor(long[] data, int[] shape)
    {
        if (data.Length != Shapes.NumEl(shape))
            throw new ArgumentException($"Data has {data.Length} elements but shape {Shapes.Format(shape)} needs {Shapes.NumEl(shape)}.");
        _long = data;
        _shape = shape;
    }

    /// <summary>Element type.</summary>
    public DType DType => _float is null ? DType.Int64 : DType.Float32;

    /// <summary>The dims (a copy; use <see cref="Size"/> for one dim without allocating).</summary>
    public int[] Shape => (int[])_shape.Clone();

    internal ReadOnlySpan<int> ShapeSpan => _shape;

    /// <summary>Number of dims (0 for a scalar).</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements.</summary>
    public int NumEl => _float?.Length ?? _long!.Length;

    /// <summary>Size of one dim; negative dims count from the end.</summary>
    public int Size(int dim) => _shape[Shapes.NormalizeDim(dim, Rank, nameof(Size))];

    /// <summary>The float32 elements in row-major order. Writing to them bypasses autograd.</summary>
    public Span<float> Data => FloatArray;

    /// <summary>The int64 elements in row-major order.</summary>
    public Span<long> Int64Data => _long ?? throw DTypeError("Int64Data", DType.Int64);

    internal float[] FloatArray => _recycled ? throw RecycledError() : _float ?? throw DTypeError("this op", DType.Float32);

    /// <summary>Set when the <see cref="StepArena"/> that lent this tensor's storage ended; any use then throws.</summary>
    private bool _recycled;

    internal void MarkRecycled() => _recycled = true;

    /// <summary>The float storage without the recycled check, for the arena's bookkeeping only.</summary>
    internal bool TryGetStorage(out float[] storage)
    {
        storage = _float!;
        return _float is not null;
    }

    private ObjectDisposedException RecycledError() =>
        new(nameof(Tensor),
            $"This {Shapes.Format(_shape)} tensor was made inside a StepArena that has ended, and its storage was recycled. Use " +
            "activations only inside the arena's scope, or copy them (ToArray, Clone) before it ends.");
    internal long[] LongArray => _long ?? throw DTypeError("this op", DType.Int64);

    internal InvalidOperationException DTypeError(string op, DType expected) =>
        new($"{op} expects a {Name(expected)} tensor, but got {Name(DType)} with shape {Shapes.Format(_shape)}.");

    internal static string Name(DType d) => d == DType.Float32 ? "float32" : "int64";

    internal void RequireFloat(string op) { if (_float is null) throw DTypeError(op, DType.Float32); }

    // ---- autograd state ----

    /// <summary>Whether gradients flow to this tensor. Only leaves (tensors no op produced) can be set.</summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (GradFn is not null && !value)
                throw new InvalidOperationException("RequiresGrad can only be changed on leaf tensors; use Detach() to get a tensor " +
                    "without history.");
            if (value && _float is null)
                throw new InvalidOperationException("Only float32 tensors can require gradients; int64 tensors hold class indices.");
            _requiresGrad = value;
        }
    }

    /// <summary>Accumulated gradient of a leaf after <see cref="Backward(Tensor?, bool)"/>; null until then.</summary>
    /// <exception cref="ArgumentException">The assigned gradient's shape or dtype differs from this tensor's (as PyTorch's
    /// "assigned grad has data of a different size"); null is allowed.</exception>
    public Tensor? Grad
    {
        get => _grad;
        set
        {
            if (value is not null)
            {
                if (value.DType != DType)
                    throw new ArgumentException($"The assigned gradient has dtype {Name(value.DType)} but the tensor has dtype " +
                        $"{Name(DType)}.", nameof(value));
                if (!Shapes.Equal(value.ShapeSpan, ShapeSpan))
                    throw new ArgumentException($"The assigned gradient has shape {Shapes.Format(value.ShapeSpan)} but the tensor has " +
                        $"shape {Shapes.Format(ShapeSpan)}.", nameof(value));
            }
            _grad = value;
        }
    }

    // The engine writes gradients it built for this very tensor through here, skipping the setter's checks.
    internal Tensor? GradUnchecked { set => _grad = value; }

    private Tensor? _grad;

    /// <summary>
    /// Set only by a backward function on a gradient whose storage nothing else references (a buffer it
    /// just allocated, or one it saved and will never hand out again). The engine may then adopt it as a
    /// leaf's <see cref="Grad"/> or add into it instead of copying, and once the node that consumes it has run
    /// it returns the storage to <see cref="Autograd.BufferPool"/> for reuse: so whoever sets it guarantees that
    /// nothing (no saved tensor, no closure, no other returned gradient) can reach the storage afterwards.
    /// Never set on a user's tensor; the engine clears it before a tensor becomes reachable from user code or
    /// is handed out twice.
    /// </summary>
    internal bool IsGradBufferOwned { get; set; }

    /// <summary>The node that produced this tensor, or null for a leaf.</summary>
    public Node? GradFn { get; internal set; }

    /// <summary>True when no recorded op produced this tensor.</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>
    /// Sets <see cref="RequiresGrad"/> to <paramref name="requiresGrad"/> (marks this leaf so that Backward computes its
    /// <see cref="Grad"/>, or stops that) and returns this tensor, for chaining; PyTorch's <c>requires_grad_</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor is int64 (and <paramref name="requiresGrad"/> is true), or it
    /// is not a leaf (and <paramref name="requiresGrad"/> is false).</exception>
    public Tensor RequiresGrad_(bool requiresGrad = true) { RequiresGrad = requiresGrad; return this; }

    /// <summary>A tensor sharing this one's storage, with no history and no gradient.</summary>
    public Tensor Detach() => _float is not null ? new Tensor(FloatArray, _shape) : new Tensor(_long!, _shape);

    /// <summary>A copy with its own storage; differentiable.</summary>
    public Tensor Clone()
    {
        var result = _float is not null ? new Tensor((float[])FloatArray.Clone(), _shape) : new Tensor((long[])_long!.Clone(), _shape);
        return _float is null ? result : Record(result, "CloneBackward", (g, _) => [g], this);
    }

    /// <summary>
    /// Runs backpropagation from this tensor, as PyTorch's <c>backward()</c>: each node of the graph that produced it runs its
    /// backward once, after every node that feeds it a gradient, and each leaf that requires grad adds its gradient to
    /// <see cref="Grad"/>. The graph is freed unless <paramref name="retainGraph"/> is set.
    /// </summary>
    /// <param name="gradient">Gradient of the final objective with respect to this tensor; may be omitted only for a one-element
    /// tensor.</param>
    /// <param name="retainGraph">Keep the graph so that Backward can run through it again.</param>
    /// <exception cref="InvalidOperationException">The tensor does not require grad (no grad_fn), <paramref name="gradient"/> is
    /// omitted for a tensor of more than one element, the graph was already freed by an earlier Backward without
    /// <paramref name="retainGraph"/>, or a tensor it needs was lent by a <see cref="StepArena"/> scope that has ended.</exception>
    /// <exception cref="ArgumentException"><paramref name="gradient"/>'s shape differs from this tensor's, or it is not
    /// float32.</exception>
    public void Backward(Tensor? gradient = null, bool retainGraph = false) => BackwardEngine.Run(this, gradient, retainGraph);

    /// <summary>
    /// Attaches a node to <paramref name="result"/> when grad mode is on and an input requires grad: the one way an
    /// op records its backward. <paramref name="backward"/> maps the output's gradient <c>g</c> to one gradient per
    /// input (null: none), <c>(g, ctx) =&gt; [dx, …]</c>, renting large ones with <see cref="BackwardContext.NewGrad(Tensor)"/>.
    /// </summary>
    internal static Tensor Record(Tensor result, string name, Func<Tensor, BackwardContext, Tensor?[]> backward, params Tensor[] inputs) =>
        Node.Attach(result, name, backward, inputs);

    /// <summary>Disables recording until the returned scope is disposed: <c>using (Tensor.NoGrad()) { … }</c>.</summary>
    public static GradMode.Scope NoGrad() => GradMode.Disable();

    // ---- reading values ----

    /// <summary>The value of a one-element tensor (int64 values are converted).</summary>
    /// <exception cref="InvalidOperationException">The tensor does not have exactly one element.</exception>
    public float Item()
    {
        if (NumEl != 1)
            throw new InvalidOperationException($"a Tensor with {NumEl} elements cannot be converted to a scalar (shape " +
            $"{Shapes.Format(_shape)}).");
        return _float is not null ? FloatArray[0] : _long![0];
    }

    /// <summary>The value of a one-element int64 tensor.</summary>
    public long ItemInt64()
    {
        if (NumEl != 1)
            throw new InvalidOperationException($"a Tensor with {NumEl} elements cannot be converted to a scalar (shape " +
            $"{Shapes.Format(_shape)}).");
        return _long is not null ? _long[0] : throw DTypeError(nameof(ItemInt64), DType.Int64);
    }

    /// <summary>A copy of the float32 elements in row-major order.</summary>
    public float[] ToArray() => (float[])FloatArray.Clone();

    /// <summary>A copy of the int64 elements in row-major order.</summary>
    public long[] ToInt64Array() => (long[])LongArray.Clone();

    /// <summary>PyTorch-like text, e.g. <c>tensor([[0.1000, 0.7000]])</c>; long tensors are abbreviated.</summary>
    public override string ToString()
    {
        if (_recycled) return $"tensor(<recycled by its StepArena>, shape={Shapes.Format(_shape)})";
        var sb = new StringBuilder("tensor(");
        int index = 0;
        Append(sb, 0, ref index);
        if (GradFn is not null) sb.Append(", grad_fn=<").Append(GradFn.Name).Append('>');
        else if (_requiresGrad) sb.Append(", requires_grad=True");
        return sb.Append(')').ToString();
    }

    private void Append(StringBuilder sb, int dim, ref int index)
    {
        if (dim == Rank) { AppendValue(sb, index++); return; }
        sb.Append('[');
        int n = _shape[dim];
        for (int i = 0; i < n; i++)
        {
            if (i > 0) sb.Append(dim == Rank - 1 ? ", " : ",\n" + new string(' ', 8 + dim));
            if (n > 8 && i == 4)
            {
                sb.Append("...");
                int skip = (n - 7) * (NumEl / Math.Max(1, Shapes.NumEl(_shape.AsSpan(0, dim + 1))));
                index += skip;
                i = n - 4;
                continue;
            }
            Append(sb, dim + 1, ref index);
        }
        sb.Append(']');
    }

    private void AppendValue(StringBuilder sb, int i)
    {
        if (_long is not null) sb.Append(_long[i].ToString(CultureInfo.InvariantCulture));
        else sb.Append(FloatArray[i].ToString("0.0000", CultureInfo.InvariantCulture));
    }
}
