namespace Xent.IO;

/// <summary>Element types an <see cref="NpyArray"/> can hold (the dtypes Xent reads and writes in .npy and safetensors files).</summary>
public enum NpyDType
{
    /// <summary>32-bit IEEE float (numpy <c>&lt;f4</c>, safetensors <c>F32</c>).</summary>
    Float32,
    /// <summary>64-bit IEEE float (numpy <c>&lt;f8</c>, safetensors <c>F64</c>).</summary>
    Float64,
    /// <summary>64-bit signed integer (numpy <c>&lt;i8</c>, safetensors <c>I64</c>); PyTorch's class-index type.</summary>
    Int64,
    /// <summary>32-bit signed integer (numpy <c>&lt;i4</c>, safetensors <c>I32</c>).</summary>
    Int32,
    /// <summary>Boolean stored as one byte, 0 or 1 (numpy <c>|b1</c>, safetensors <c>BOOL</c>).</summary>
    Bool,
    /// <summary>Unsigned byte (numpy <c>|u1</c>, safetensors <c>U8</c>).</summary>
    UInt8,
}

/// <summary>Facts about <see cref="NpyDType"/> values.</summary>
public static class NpyDTypeInfo
{
    /// <summary>Bytes per element.</summary>
    public static int ItemSize(this NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 => 4,
        NpyDType.Float64 => 8,
        NpyDType.Int64 => 8,
        NpyDType.Int32 => 4,
        NpyDType.Bool => 1,
        NpyDType.UInt8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>numpy's name for the dtype (<c>float32</c>, <c>int64</c>, <c>bool</c>, ...), used in messages.</summary>
    public static string NumpyName(this NpyDType dtype) => dtype switch
    {
        NpyDType.Float32 => "float32",
        NpyDType.Float64 => "float64",
        NpyDType.Int64 => "int64",
        NpyDType.Int32 => "int32",
        NpyDType.Bool => "bool",
        NpyDType.UInt8 => "uint8",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>True for <see cref="NpyDType.Float32"/> and <see cref="NpyDType.Float64"/>.</summary>
    public static bool IsFloatingPoint(this NpyDType dtype) => dtype is NpyDType.Float32 or NpyDType.Float64;
}
