using Xent.NN;

namespace Xent.Training;

/// <summary>
/// A classifier whose logits are divided by a fitted temperature (<see cref="TemperatureScaling"/>, <see cref="ModelSpec.Temperature"/>):
/// <c>Forward(x) = model.Forward(x) / T</c>, so any code that evaluates a module (accuracy is unchanged; cross-entropy, ECE and
/// probabilities are the calibrated ones) uses T without knowing about it. Its state dict is the wrapped model's under
/// <c>model.</c>; save the wrapped model itself to keep PyTorch's names.
/// </summary>
public sealed class TemperatureScaled : Module
{
    private readonly Module _model;

    /// <summary>Wraps <paramref name="model"/> with temperature <paramref name="temperature"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">T is not finite and positive.</exception>
    public TemperatureScaled(Module model, float temperature)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (!(temperature > 0f) || !float.IsFinite(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be finite and positive.");
        _model = Register("model", model);
        Temperature = temperature;
    }

    /// <summary>The temperature T.</summary>
    public float Temperature { get; }

    /// <summary>The wrapped model's logits divided by T.</summary>
    public override Tensor Forward(Tensor input)
    {
        var logits = _model.Forward(input);
        // A true division (as ONNX export's Div node and softmax(logits / T) in prediction), not a multiply by 1/T.
        return Temperature == 1f ? logits : logits / Tensor.Scalar(Temperature);
    }
}
