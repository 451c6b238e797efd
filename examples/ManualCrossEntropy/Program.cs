// The PyTorch tutorial's manual cross-entropy examples in C#, each compared with the library's own loss,
// as the PyTorch tutorial compares its hand-written versions with F.nll_loss and F.cross_entropy.
using ManualCrossEntropy;
using Xent;
using Xent.NN;

// ---- The PyTorch tutorial's manual cross-entropy, example 1: a single sample ----
var prediction = Tensor.FromArray([0.1f, 0.7f, 0.2f]);      // probabilities, already normalised
var target = Tensor.FromArray([0f, 1f, 0f]);                // one-hot target
Console.WriteLine($"Manual Loss (Single Sample): {ManualLosses.Single(prediction, target)}");
var predictionLogProb = prediction.Log();
var pytorchLoss = F.NllLoss(predictionLogProb.Unsqueeze(0), target.ArgMax(0).Unsqueeze(0));
Console.WriteLine($"NLL Loss (Single Sample): {pytorchLoss}");

// ---- The PyTorch tutorial's manual cross-entropy, example 2: a batch with one-hot targets ----
var predictions = Tensor.FromArray(new float[,] { { 0.1f, 0.7f, 0.2f }, { 0.9f, 0.05f, 0.05f } });
var targets = Tensor.FromArray(new float[,] { { 0, 1, 0 }, { 1, 0, 0 } });
Console.WriteLine($"Manual Loss (Batch): {ManualLosses.Batch(predictions, targets)}");
Console.WriteLine($"NLL Loss (Batch): {F.NllLoss(predictions.Log(), targets.ArgMax(1))}");

// ---- The PyTorch tutorial's manual cross-entropy, example 3: a batch with class indices ----
var targetIndices = Tensor.FromArray([1, 0]);
Console.WriteLine($"Manual Loss (Using Indices): {ManualLosses.Indices(predictions, targetIndices)}");
Console.WriteLine($"NLL Loss (Using Indices): {F.NllLoss(predictions.Log(), targetIndices)}");

// ---- The PyTorch tutorial's CrossEntropyLoss walkthrough, method 3: log_softmax + gather on a linear model's logits ----
Tensor.ManualSeed(0);
const int inputSize = 784, numClasses = 10;
var model = new Linear(inputSize, numClasses);
var inputs = Tensor.Randn(100, inputSize);                  // batch of 100 examples
var labels = Tensor.RandInt(numClasses, [100]);             // class labels
var outputs = model.Forward(inputs);
foreach (var reduction in new[] { Reduction.Mean, Reduction.Sum })
{
    var manual = ManualLosses.CrossEntropy(outputs, labels, reduction);
    var builtIn = F.CrossEntropy(outputs, labels, reduction: reduction);
    Console.WriteLine($"Manual Cross Entropy Loss ({reduction}): {manual.Item():F4}   F.CrossEntropy: {builtIn.Item():F4}");
}
var perSample = ManualLosses.CrossEntropy(outputs, labels, Reduction.None);
Console.WriteLine($"Manual Cross Entropy Loss (None): shape [{string.Join(", ", perSample.Shape)}], first {perSample.Data[0]:F4}");

// Backward through the manual loss, then one plain SGD step (lr = 0.01), as in the PyTorch tutorial.
var loss = ManualLosses.CrossEntropy(outputs, labels);
model.ZeroGrad();
loss.Backward();
foreach (var p in model.Parameters())
{
    var data = p.Data;
    var grad = p.Grad!.Data;
    for (int i = 0; i < data.Length; i++) data[i] -= 0.01f * grad[i];
}
Console.WriteLine($"Manual Cross Entropy Loss: {loss.Item():F4}  (about ln 10 = {Math.Log(10):F4} for random weights)");
