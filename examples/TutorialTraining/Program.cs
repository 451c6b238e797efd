// The PyTorch tutorial's snippets in C#: run with `dotnet run --project examples/TutorialTraining`.
using TutorialTraining;
using Xent;

var generator = new Generator(0);
Console.WriteLine($"Loss: {TutorialExamples.CrossEntropyLossStep(generator).Loss}");
Console.WriteLine($"Loss: {TutorialExamples.FunctionalCrossEntropy(generator):F4}");
var weighted = TutorialExamples.WeightedCrossEntropy(generator);
Console.WriteLine($"Class weights: {weighted.Weights}  weighted loss: {weighted.Loss:F4}");
Console.WriteLine($"Multi-label BCEWithLogitsLoss: {TutorialExamples.MultiLabel(generator).Loss:F4}");
var (accuracy, first, last) = TutorialExamples.TrainSeparable(seed: 1);
Console.WriteLine($"Linear model + SGD on separable blobs: loss {first:F4} -> {last:F4}, test accuracy {100 * accuracy:F2}%");
Console.WriteLine($"For reference, ln(10) = {Math.Log(10):F4}: the loss of a model that knows nothing yet.");
