using Xent.Diagnostics;

namespace Xent.NN;

/// <summary>Which fan <see cref="Init.KaimingUniform_"/> and <see cref="Init.KaimingNormal_"/> scale by.</summary>
public enum FanMode
{
    /// <summary>Number of inputs per output unit: preserves the forward pass's variance (PyTorch's default).</summary>
    FanIn,
    /// <summary>Number of outputs per input unit: preserves the backward pass's variance.</summary>
    FanOut,
}

/// <summary>Activation a layer is followed by, for <see cref="Init.CalculateGain"/> (PyTorch's <c>nonlinearity</c> strings).</summary>
public enum Nonlinearity
{
    /// <summary>Identity, linear or convolution layers: gain 1.</summary>
    Linear,
    /// <summary>Logistic sigmoid: gain 1.</summary>
    Sigmoid,
    /// <summary>tanh: gain 5/3.</summary>
    Tanh,
    /// <summary>ReLU: gain √2.</summary>
    Relu,
    /// <summary>Leaky ReLU with negative slope <c>param</c> (default 0.01): gain √(2/(1+slope²)).</summary>
    LeakyRelu,
    /// <summary>SELU: gain 3/4.</summary>
    Selu,
}

/// <summary>
/// In-place parameter initialisers, PyTorch's <c>torch.nn.init</c>: <c>Init.KaimingUniform_(w, a: Math.Sqrt(5))</c>.
/// They write values directly (no autograd) and return the tensor. Values are drawn from a Xent
/// <see cref="Generator"/> (default <see cref="Generator.Default"/>): same distributions as PyTorch, different streams.
/// </summary>
public static class Init
{
    /// <summary>Fills <paramref name="tensor"/> from U(<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static Tensor Uniform_(Tensor tensor, double low = 0.0, double high = 1.0, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!(low <= high)) throw new ArgumentException($"uniform_ expects low <= high, but got low={low}, high={high}.");
        var rng = generator ?? Generator.Default;
        var data = tensor.Data;
        double range = high - low;
        using (rng.Hold())
            for (int i = 0; i < data.Length; i++) data[i] = (float)(low + range * rng.DrawDouble());
        return tensor;
    }

    /// <summary>Fills <paramref name="tensor"/> from N(<paramref name="mean"/>, <paramref name="std"/>²).</summary>
    public static Tensor Normal_(Tensor tensor, double mean = 0.0, double std = 1.0, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!(std >= 0)) throw new ArgumentException($"normal_ expects std >= 0.0, but found std {std}.");
        var rng = generator ?? Generator.Default;
        var data = tensor.Data;
        using (rng.Hold())
            for (int i = 0; i < data.Length; i++) data[i] = (float)(mean + std * rng.DrawGaussian());
        return tensor;
    }

    /// <summary>Fills <paramref name="tensor"/> with <paramref name="value"/>.</summary>
    public static Tensor Constant_(Tensor tensor, float value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        tensor.Data.Fill(value);
        return tensor;
    }

    /// <summary>Fills <paramref name="tensor"/> with zeros.</summary>
    public static Tensor Zeros_(Tensor tensor) => Constant_(tensor, 0f);

    /// <summary>Fills <paramref name="tensor"/> with ones.</summary>
    public static Tensor Ones_(Tensor tensor) => Constant_(tensor, 1f);

    /// <summary>
    /// PyTorch's <c>calculate_gain</c>: the factor that keeps activations' variance for <paramref name="nonlinearity"/>.
    /// <paramref name="param"/> is leaky ReLU's negative slope (default 0.01).
    /// </summary>
    public static double CalculateGain(Nonlinearity nonlinearity, double? param = null) => nonlinearity switch
    {
        Nonlinearity.Linear or Nonlinearity.Sigmoid => 1.0,
        Nonlinearity.Tanh => 5.0 / 3.0,
        Nonlinearity.Relu => Math.Sqrt(2.0),
        Nonlinearity.LeakyRelu => Math.Sqrt(2.0 / (1 + Math.Pow(param ?? 0.01, 2))),
        Nonlinearity.Selu => 3.0 / 4.0,
        _ => throw new ArgumentOutOfRangeException(nameof(nonlinearity), nonlinearity, "Unsupported nonlinearity."),
    };

    /// <summary>
    /// (fan_in, fan_out) of a weight: dim 1 and dim 0 sizes times the receptive field (product of dims 2…),
    /// e.g. a (32, 1, 3, 3) conv weight has fan_in 9 and fan_out 288.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor has fewer than 2 dims.</exception>
    public static (int FanIn, int FanOut) CalculateFanInAndFanOut(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Rank < 2)
            throw new ArgumentException("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions (got shape " +
                $"{Shapes.Format(tensor.ShapeSpan)}).", nameof(tensor));
        int receptive = 1;
        for (int d = 2; d < tensor.Rank; d++) receptive *= tensor.Size(d);
        return (tensor.Size(1) * receptive, tensor.Size(0) * receptive);
    }

    /// <summary>
    /// He uniform initialisation, PyTorch's <c>kaiming_uniform_</c>: U(−b, b) with
    /// <c>b = gain·√(3/fan)</c>, gain from <paramref name="nonlinearity"/> with slope <paramref name="a"/>.
    /// Layers use <c>a = √5</c>, which gives <c>b = 1/√fan_in</c>.
    /// </summary>
    public static Tensor KaimingUniform_(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn,
        Nonlinearity nonlinearity = Nonlinearity.LeakyRelu, Generator? generator = null)
    {
        if (IsEmpty(tensor)) return tensor;
        double std = CalculateGain(nonlinearity, a) / Math.Sqrt(Fan(tensor, mode));
        double bound = Math.Sqrt(3.0) * std;
        return Uniform_(tensor, -bound, bound, generator);
    }

    /// <summary>He normal initialisation, PyTorch's <c>kaiming_normal_</c>: N(0, (gain/√fan)²).</summary>
    public static Tensor KaimingNormal_(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn,
        Nonlinearity nonlinearity = Nonlinearity.LeakyRelu, Generator? generator = null)
    {
        if (IsEmpty(tensor)) return tensor;
        double std = CalculateGain(nonlinearity, a) / Math.Sqrt(Fan(tensor, mode));
        return Normal_(tensor, 0, std, generator);
    }

    /// <summary>Glorot uniform initialisation, PyTorch's <c>xavier_uniform_</c>: U(−b, b), <c>b = gain·√(6/(fan_in+fan_out))</c>.</summary>
    public static Tensor XavierUniform_(Tensor tensor, double gain = 1.0, Generator? generator = null)
    {
        var (fanIn, fanOut) = CalculateFanInAndFanOut(tensor);
        double bound = Math.Sqrt(3.0) * gain * Math.Sqrt(2.0 / (fanIn + fanOut));
        return Uniform_(tensor, -bound, bound, generator);
    }

    /// <summary>Glorot normal initialisation, PyTorch's <c>xavier_normal_</c>: N(0, gain²·2/(fan_in+fan_out)).</summary>
    public static Tensor XavierNormal_(Tensor tensor, double gain = 1.0, Generator? generator = null)
    {
        var (fanIn, fanOut) = CalculateFanInAndFanOut(tensor);
        return Normal_(tensor, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), generator);
    }

    /// <summary>
    /// The bias initialisation of PyTorch's Linear and Conv2d: U(−1/√fan_in, 1/√fan_in) with fan_in from
    /// <paramref name="weight"/> (0 bound when fan_in is 0).
    /// </summary>
    public static Tensor BiasUniform_(Tensor bias, Tensor weight, Generator? generator = null)
    {
        var (fanIn, _) = CalculateFanInAndFanOut(weight);
        double bound = fanIn > 0 ? 1.0 / Math.Sqrt(fanIn) : 0.0;
        return Uniform_(bias, -bound, bound, generator);
    }

    private static int Fan(Tensor tensor, FanMode mode)
    {
        var (fanIn, fanOut) = CalculateFanInAndFanOut(tensor);
        return mode switch
        {
            FanMode.FanIn => fanIn,
            FanMode.FanOut => fanOut,
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "mode must be FanIn or FanOut."),
        };
    }

    private static bool IsEmpty(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.NumEl != 0) return false;
        Warnings.Warn("init.empty", "Initializing zero-element tensors is a no-op");
        return true;
    }
}
