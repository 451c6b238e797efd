using Xent.Kernels;
using Xent.NN;
using static Xent.Onnx.OnnxGraphBuilder;

namespace Xent.Onnx;

/// <summary>
/// Turns modules into ONNX nodes, layer by layer, tracking the shape of one sample (the batch dimension stays
/// symbolic) so that every layer's fit is checked at export time with the same rules as Xent's forward pass,
/// instead of surfacing as a runtime error in ONNX Runtime.
/// </summary>
internal sealed class OnnxLayerEmitter(OnnxGraphBuilder graph, IReadOnlyDictionary<Parameter, string> parameterNames)
{
    /// <summary>A graph value and the shape of one sample of it.</summary>
    public readonly record struct Value(string Name, int[] Shape);

    /// <summary>Emits <paramref name="module"/> applied to <paramref name="x"/>; returns its output.</summary>
    /// <exception cref="NotSupportedException">A module type the exporter does not know, named in the message.</exception>
    /// <exception cref="ArgumentException">A layer does not fit the shape that reaches it.</exception>
    public Value Emit(Module module, string scope, Value x)
    {
        if (OnnxLayers.Decompose(module) is { } layers)
        {
            foreach (var (name, layer) in layers) x = Emit(layer, scope.Length == 0 ? name : scope + "." + name, x);
            return x;
        }
        return module switch
        {
            Linear l => EmitLinear(l, scope, x),
            Conv2d c => EmitConv(c, scope, x),
            ReLU => new Value(graph.AddNode("Relu", scope, [x.Name]), x.Shape),
            MaxPool2d p => EmitMaxPool(p, scope, x),
            Flatten f => EmitFlatten(f, scope, x),
            // Export is inference: dropout (element-wise or per channel) is the identity in eval mode.
            DropoutBase => x,
            _ => throw new NotSupportedException(
                $"ONNX export does not support {module.GetType().Name}{(scope.Length > 0 ? $" (at '{scope}')" : "")}; supported: " +
                    $"{OnnxLayers.Supported}."),
        };
    }

    private Value EmitLinear(Linear l, string scope, Value x)
    {
        if (x.Shape[^1] != l.InFeatures)
            throw new ArgumentException($"ONNX export: {scope} is Linear({l.InFeatures} → {l.OutFeatures}) but receives " +
                $"{Describe(x.Shape)}.");
        int[] shape = [.. x.Shape[..^1], l.OutFeatures];
        string w = ParameterName(l.Weight, scope, "weight");
        if (x.Shape.Length == 1)
        {
            // (N, in) input: one Gemm with the (out, in) weight as stored, like torch.onnx's export of nn.Linear.
            var inputs = new List<string> { x.Name, graph.AddInitializer(w, l.Weight.Data, l.OutFeatures, l.InFeatures) };
            if (l.Bias is not null) inputs.Add(graph.AddInitializer(ParameterName(l.Bias, scope, "bias"), l.Bias.Data, l.OutFeatures));
            return new Value(graph.AddNode("Gemm", scope, inputs, Int("transB", 1)), shape);
        }
        // Leading dims besides the batch: MatMul broadcasts over them; it needs the weight as (in, out).
        var transposed = new float[l.Weight.Data.Length];
        var data = l.Weight.Data;
        for (int o = 0; o < l.OutFeatures; o++)
            for (int i = 0; i < l.InFeatures; i++) transposed[i * l.OutFeatures + o] = data[o * l.InFeatures + i];
        string y = graph.AddNode("MatMul", scope,
            [x.Name, graph.AddInitializer(w + "_transposed", transposed, l.InFeatures, l.OutFeatures)]);
        if (l.Bias is not null) y = graph.AddNode("Add", scope,
            [y, graph.AddInitializer(ParameterName(l.Bias, scope, "bias"), l.Bias.Data, l.OutFeatures)]);
        return new Value(y, shape);
    }

    private Value EmitConv(Conv2d c, string scope, Value x)
    {
        if (x.Shape.Length != 3 || x.Shape[0] != c.InChannels)
            throw new ArgumentException($"ONNX export: {scope} is Conv2d with {c.InChannels} input channel(s) but receives " +
                $"{Describe(x.Shape)}; it needs (N, {c.InChannels}, H, W).");
        var (kh, kw) = c.KernelSize;
        var (sh, sw) = c.Stride;
        var (ph, pw) = c.Padding;
        int ho = OutputSize(x.Shape[1], kh, sh, ph), wo = OutputSize(x.Shape[2], kw, sw, pw);
        if (ho < 1 || wo < 1)
            throw new ArgumentException($"ONNX export: {scope}'s {kh}×{kw} kernel does not fit its {x.Shape[1]}×{x.Shape[2]} input " +
                $"(padding {ph}, {pw}).");
        var inputs = new List<string>
        {
            x.Name,
            graph.AddInitializer(ParameterName(c.Weight, scope, "weight"), c.Weight.Data, c.OutChannels, c.InChannels, kh, kw),
        };
        if (c.Bias is not null) inputs.Add(graph.AddInitializer(ParameterName(c.Bias, scope, "bias"), c.Bias.Data, c.OutChannels));
        string y = graph.AddNode("Conv", scope, inputs,
            Ints("dilations", 1, 1), Int("group", 1), Ints("kernel_shape", kh, kw), Ints("pads", ph, pw, ph, pw), Ints("strides", sh, sw));
        return new Value(y, [c.OutChannels, ho, wo]);
    }

    private Value EmitMaxPool(MaxPool2d p, string scope, Value x)
    {
        if (x.Shape.Length != 3)
            throw new ArgumentException($"ONNX export: {scope} is MaxPool2d, which needs (N, C, H, W) input, but receives " +
                $"{Describe(x.Shape)}.");
        var (kh, kw) = p.KernelSize;
        var (sh, sw) = p.Stride;
        var (ph, pw) = p.Padding;
        if (kh < 1 || kw < 1 || sh < 1 || sw < 1 || ph < 0 || pw < 0 || ph > kh / 2 || pw > kw / 2)
            throw new ArgumentException($"ONNX export: {scope} has an invalid kernel ({kh}, {kw}), stride ({sh}, {sw}) or padding ({ph}, " +
                $"{pw}).");
        int ho = OutputSize(x.Shape[1], kh, sh, ph), wo = OutputSize(x.Shape[2], kw, sw, pw);
        if (ho < 1 || wo < 1)
            throw new ArgumentException($"ONNX export: {scope}'s {kh}×{kw} window does not fit its {x.Shape[1]}×{x.Shape[2]} input.");
        // ONNX MaxPool ignores padded cells (as if −∞), as PyTorch does; ceil_mode 0 is PyTorch's floor rounding.
        string y = graph.AddNode("MaxPool", scope, [x.Name],
            Int("ceil_mode", 0), Ints("kernel_shape", kh, kw), Ints("pads", ph, pw, ph, pw), Ints("strides", sh, sw));
        return new Value(y, [x.Shape[0], ho, wo]);
    }

    private Value EmitFlatten(Flatten f, string scope, Value x)
    {
        int rank = x.Shape.Length + 1; // with the batch dimension
        int start = f.StartDim < 0 ? f.StartDim + rank : f.StartDim, end = f.EndDim < 0 ? f.EndDim + rank : f.EndDim;
        if (start < 0 || start >= rank || end < 0 || end >= rank || start > end)
            throw new ArgumentException($"ONNX export: {scope} is Flatten(start_dim={f.StartDim}, end_dim={f.EndDim}), which does not " +
                $"fit {Describe(x.Shape)}.");
        if (start == 0)
            throw new NotSupportedException($"ONNX export does not support Flatten over the batch dimension (at '{scope}', " +
                $"start_dim={f.StartDim}).");
        if (start == end) return x;
        // Sample dims start-1 … end-1 merge into one.
        int merged = 1;
        for (int d = start - 1; d <= end - 1; d++) merged *= x.Shape[d];
        int[] shape = [.. x.Shape[..(start - 1)], merged, .. x.Shape[end..]];
        if (start == 1 && end == rank - 1) return new Value(graph.AddNode("Flatten", scope, [x.Name], Int("axis", 1)), shape);
        // Reshape's 0 copies the batch size from the input, so the batch stays dynamic.
        long[] target = [0, .. shape.Select(d => (long)d)];
        string shapeName = graph.AddInt64Initializer($"/{scope}/shape", target);
        return new Value(graph.AddNode("Reshape", scope, [x.Name, shapeName]), shape);
    }

    private string ParameterName(Parameter p, string scope, string fallback) =>
        parameterNames.TryGetValue(p, out var name) ? name : scope + "." + fallback;

    // The forward pass's rule (Im2Col.OutputSize, also ONNX's with ceil_mode 0); 0 when the window is larger than the padded
    // input, so that the callers report it with the layer's name.
    private static int OutputSize(int size, int kernel, int stride, int pad) =>
        size + 2 * pad < kernel ? 0 : Im2Col.OutputSize(size, kernel, stride, pad);

    internal static string Describe(int[] sampleShape) => $"input of shape (N, {string.Join(", ", sampleShape)})";
}
