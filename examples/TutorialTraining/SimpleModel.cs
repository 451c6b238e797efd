using Xent;
using Xent.NN;

namespace TutorialTraining;

/// <summary>The PyTorch tutorial's <c>SimpleModel</c>: one linear layer from inputs to class logits.</summary>
public sealed class SimpleModel : Module
{
    private readonly Linear linear;

    public SimpleModel(int inputSize, int numClasses, Generator? generator = null)
    {
        linear = Register("linear", new Linear(inputSize, numClasses, generator: generator));
    }

    public override Tensor Forward(Tensor x) => linear.Forward(x);
}
