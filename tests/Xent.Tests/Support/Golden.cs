using Xent.IO;

namespace Xent.Tests.Support;

/// <summary>
/// Reads the PyTorch-written golden .npy files copied next to the test assembly (tools/golden/data/**)
/// through <see cref="Npy"/>, whose own tests check it against files numpy wrote.
/// </summary>
public static class Golden
{
    public static string PathOf(string area, string file) => Path.Combine(AppContext.BaseDirectory, "golden", area, file);

    /// <summary>Loads <c>golden/&lt;area&gt;/&lt;name&gt;.npy</c> as a tensor: float dtypes become float32, integer dtypes int64.</summary>
    public static Tensor Load(string area, string name)
    {
        var array = Npy.Read(PathOf(area, name + ".npy"));
        var shape = array.Shape;
        return array.DType.IsFloatingPoint()
            ? Tensor.FromArray(array.ToFloat32(), array.Count == 0 ? [0] : [(int)array.Count]).Reshape(shape)
            : Tensor.FromArray(array.ToInt64(), array.Count == 0 ? [0] : [(int)array.Count]).Reshape(shape);
    }
}
