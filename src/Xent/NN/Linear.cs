namespace Xent.NN;

/// <summary>
/// Fully connected layer <c>y = x·Wᵀ + b</c>, PyTorch's <c>nn.Linear</c>. Parameters <c>weight</c> (out, in) and
/// <c>bias</c> (out) start from PyTorch's defaults: U(−1/√in, 1/√in) for both.
/// </summary>
public sealed class Linear : Module
{
    /// <summary>Creates the layer and initialises it from <paramref name="generator"/> (default <see cref="Generator.Default"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A feature count is negative.</exception>
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegative(outFeatures);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = Register("weight", new Parameter(Tensor.Zeros(outFeatures, inFeatures)));
        Bias = Register("bias", bias ? new Parameter(Tensor.Zeros(outFeatures)) : null);
        ResetParameters(generator);
    }

    /// <summary>Number of input features.</summary>
    public int InFeatures { get; }

    /// <summary>Number of output features.</summary>
    public int OutFeatures { get; }

    /// <summary>The (out, in) weight.</summary>
    public Parameter Weight { get; }

    /// <summary>The (out) bias, or null when created with <c>bias: false</c>.</summary>
    public Parameter? Bias { get; }

    /// <summary>Re-draws the parameters as PyTorch's <c>reset_parameters</c> does (kaiming_uniform with a = √5).</summary>
    public void ResetParameters(Generator? generator = null)
    {
        Init.KaimingUniform_(Weight, a: Math.Sqrt(5), generator: generator);
        if (Bias is not null) Init.BiasUniform_(Bias, Weight, generator);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Linear(input, Weight, Bias);

    /// <inheritdoc/>
    public override string ToString() =>
        $"Linear(in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias is not null ? "True" : "False")})";
}
