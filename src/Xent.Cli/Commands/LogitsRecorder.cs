using Xent.NN;

namespace Xent.Cli.Commands;

/// <summary>
/// Passes a model's outputs through unchanged and keeps a copy of each, in call order, so that <c>eval --report</c> draws its
/// reliability diagram from the very logits the metrics came from, in one pass over the data.
/// </summary>
internal sealed class LogitsRecorder : Module
{
    private readonly Module _model;
    private readonly List<float> _logits = [];

    public LogitsRecorder(Module model) => _model = Register("model", model);

    /// <summary>Every output recorded so far, one after another.</summary>
    public float[] Logits => [.. _logits];

    public override Tensor Forward(Tensor input)
    {
        var output = _model.Forward(input);
        _logits.AddRange(output.ToArray());
        return output;
    }
}
