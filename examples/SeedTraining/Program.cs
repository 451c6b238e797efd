// The PyTorch tutorial's snippets in C#: run with `dotnet run --project examples/SeedTraining`.
using SeedTraining;
using Xent;

var generator = new Generator(0);
Console.WriteLine($"Loss: {SeedExamples.CrossEntropyLossStep(generator).Loss}");
Console.WriteLine($"Loss: {SeedExamples.FunctionalCrossEntropy(generator):F4}");
var weighted = SeedExamples.WeightedCrossEntropy(generator);
Console.WriteLine($"Class weights: {weighted.Weights}  weighted loss: {weighted.Loss:F4}");
Console.WriteLine($"Multi-label BCEWithLogitsLoss: {SeedExamples.MultiLabel(generator).Loss:F4}");
var (accuracy, first, last) = SeedExamples.TrainSeparable(seed: 1);
Console.WriteLine($"Linear model + SGD on separable blobs: loss {first:F4} -> {last:F4}, test accuracy {100 * accuracy:F2}%");
Console.WriteLine($"For reference, ln(10) = {Math.Log(10):F4}: the loss of a model that knows nothing yet.");
