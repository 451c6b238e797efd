using System.Buffers.Binary;
using Google.Protobuf;
using Xent.Onnx.Proto;

namespace Xent.Onnx;

/// <summary>
/// Accumulates one ONNX graph: float32 initializers, nodes with unique names and outputs, and the graph's typed
/// inputs and outputs. Values are named as torch.onnx names them (<c>/fc1/Gemm_output_0</c>), initializers keep the
/// state-dict names (<c>fc1.weight</c>), so a graph viewer shows the model's own vocabulary.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<string> _nodeNames = new(StringComparer.Ordinal);

    public GraphProto Graph { get; } = new();

    /// <summary>Adds a float32 initializer with <paramref name="dims"/> and returns its (unique) name.</summary>
    public string AddInitializer(string name, ReadOnlySpan<float> values, params long[] dims)
    {
        name = Unique(name, _names);
        // ONNX raw_data is little-endian whatever the host; BinaryPrimitives makes that explicit.
        var bytes = new byte[values.Length * sizeof(float)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float,
            RawData = ByteString.CopyFrom(bytes) };
        tensor.Dims.AddRange(dims);
        Graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Adds an int64 initializer (shapes for <c>Reshape</c>) and returns its name.</summary>
    public string AddInt64Initializer(string name, ReadOnlySpan<long> values)
    {
        name = Unique(name, _names);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        foreach (long v in values) tensor.Int64Data.Add(v);
        Graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>
    /// Adds node <paramref name="opType"/> of layer <paramref name="scope"/> (node name <c>/scope/OpType</c>) with one
    /// output, and returns that output's name.
    /// </summary>
    public string AddNode(string opType, string scope, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        string nodeName = Unique($"/{scope}/{opType}", _nodeNames);
        string output = Unique(nodeName + "_output_0", _names);
        var node = new NodeProto { OpType = opType, Name = nodeName };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return output;
    }

    /// <summary>
    /// Makes the graph's value <paramref name="value"/> appear under <paramref name="name"/>: renames the output of the
    /// node that produces it (nothing may read it yet), or adds an <c>Identity</c> when no node does (a graph input).
    /// </summary>
    public string Rename(string value, string name)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"ONNX value name '{name}' is already in use.");
        var producer = Graph.Node.LastOrDefault(n => n.Output.Contains(value));
        if (producer is null || Graph.Node.Any(n => n.Input.Contains(value)))
        {
            var identity = new NodeProto { OpType = "Identity", Name = Unique("/" + name + "/Identity", _nodeNames) };
            identity.Input.Add(value);
            identity.Output.Add(name);
            Graph.Node.Add(identity);
            return name;
        }
        producer.Output[producer.Output.IndexOf(value)] = name;
        return name;
    }

    /// <summary>Reserves a name (the graph input) so no node output takes it.</summary>
    public void Reserve(string name)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"ONNX value name '{name}' is already in use.");
    }

    /// <summary>A float32 tensor type whose first dimension is the symbolic batch size <c>batch</c>.</summary>
    public static ValueInfoProto BatchedFloat(string name, IReadOnlyList<int> sampleShape, string docString)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        foreach (int d in sampleShape) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            DocString = docString,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor
            { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static string Unique(string name, HashSet<string> taken)
    {
        if (taken.Add(name)) return name;
        for (int i = 1; ; i++)
        {
            string candidate = name + "_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (taken.Add(candidate)) return candidate;
        }
    }
}
