namespace Xent.NN;

/// <summary>
/// What <see cref="Dropout"/> and <see cref="Dropout2d"/> share: the probability check (PyTorch's message), the
/// per-layer <see cref="Generator"/> and the printed form; subclasses only say which mask they draw.
/// </summary>
/// <remarks>
/// Public only because its subclasses are (C# forbids a less accessible base); its constructor is
/// <c>private protected</c>, so it cannot be derived from outside this library.
/// </remarks>
public abstract class DropoutBase : Module
{
    private protected DropoutBase(double p, Generator? generator)
    {
        F.CheckDropoutP(p);
        P = p;
        // Seeded from the default generator at construction, so Tensor.ManualSeed(s) before building a model
        // makes its masks reproducible.
        Generator = generator ?? new Generator(unchecked((long)Generator.Default.NextUInt64()));
    }

    /// <summary>Probability of zeroing an element (<see cref="Dropout"/>) or a channel (<see cref="Dropout2d"/>).</summary>
    public double P { get; }

    /// <summary>
    /// The generator that draws the masks; reseed it (<see cref="Generator.ManualSeed"/>) to make a run reproducible or resumable per
    /// epoch.
    /// </summary>
    public Generator Generator { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{GetType().Name}(p={P})";
}
