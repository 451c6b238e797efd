using Xent;
using Xent.NN;
using Xent.Optim;

namespace TutorialTraining;

/// <summary>
/// The PyTorch tutorial's snippets, line by line: nn.CrossEntropyLoss with SGD, F.cross_entropy,
/// class weights from counts, BCEWithLogitsLoss on multi-hot targets, and a linear model trained
/// with SGD. Each returns what it computed so the tests can check it independently.
/// </summary>
public static class TutorialExamples
{
    public const int InputSize = 784;  // for MNIST (28x28 pixels)
    public const int NumClasses = 10;  // 10 digits (0-9)

    /// <summary>Method 1: nn.CrossEntropyLoss, one SGD step on random data. Returns the loss before the step.</summary>
    public static (float Loss, Tensor Logits, Tensor Targets) CrossEntropyLossStep(Generator generator)
    {
        var model = new SimpleModel(InputSize, NumClasses, generator);
        var criterion = new CrossEntropyLoss();
        var optimizer = new Sgd(model.Parameters(), lr: 0.01);

        var inputs = Tensor.Randn([100, InputSize], generator);           // batch of 100 examples
        var targets = Tensor.RandInt(0, NumClasses, [100], generator);    // class labels (0-9)

        var outputs = model.Forward(inputs);
        var loss = criterion.Forward(outputs, targets);

        optimizer.ZeroGrad();
        loss.Backward();
        optimizer.Step();
        return (loss.Item(), outputs.Detach(), targets);
    }

    /// <summary>Method 2: the functional F.CrossEntropy on the same kind of data.</summary>
    public static float FunctionalCrossEntropy(Generator generator)
    {
        var model = new SimpleModel(InputSize, NumClasses, generator);
        var inputs = Tensor.Randn([100, InputSize], generator);
        var targets = Tensor.RandInt(0, NumClasses, [100], generator);
        var loss = F.CrossEntropy(model.Forward(inputs), targets);
        loss.Backward();
        return loss.Item();
    }

    /// <summary>Class weights inversely proportional to class frequencies, normalised to sum to the number of classes.</summary>
    public static Tensor InverseFrequencyWeights(float[] classCounts)
    {
        var classWeights = 1.0f / Tensor.FromArray(classCounts);
        return classWeights / classWeights.Sum() * classCounts.Length;
    }

    /// <summary>Weighted cross-entropy for the PyTorch tutorial's counts [100, 200, 50, 300, 150] on random logits.</summary>
    public static (Tensor Weights, Tensor Logits, Tensor Targets, float Loss) WeightedCrossEntropy(Generator generator)
    {
        float[] classCounts = [100, 200, 50, 300, 150];  // example class frequencies
        var classWeights = InverseFrequencyWeights(classCounts);
        var criterion = new CrossEntropyLoss(weight: classWeights);
        var logits = Tensor.Randn([32, classCounts.Length], generator);
        var targets = Tensor.RandInt(0, classCounts.Length, [32], generator);
        return (classWeights, logits, targets, criterion.Forward(logits, targets).Item());
    }

    /// <summary>Multi-label classification: BCEWithLogitsLoss on multi-hot targets with 1–3 labels per example.</summary>
    public static (Tensor Logits, Tensor Targets, float Loss) MultiLabel(Generator generator)
    {
        var criterion = new BCEWithLogitsLoss();
        var targets = Tensor.Zeros(100, NumClasses);
        for (int i = 0; i < 100; i++)
        {
            int numLabels = (int)generator.NextInt64(1, 4);          // 1-3 labels per example
            var randomLabels = generator.Permutation(NumClasses)[..numLabels];
            foreach (int label in randomLabels) targets.Data[i * NumClasses + label] = 1f;
        }
        var model = new SimpleModel(InputSize, NumClasses, generator);
        var outputs = model.Forward(Tensor.Randn([100, InputSize], generator));
        return (outputs.Detach(), targets, criterion.Forward(outputs, targets).Item());
    }

    /// <summary>
    /// Trains the linear model with SGD on a synthetic, linearly separable problem (one Gaussian blob per class)
    /// and returns the accuracy on held-out samples and the mean loss of the first and last epoch.
    /// </summary>
    public static (double Accuracy, double FirstEpochLoss, double LastEpochLoss)
        TrainSeparable(int seed, int epochs = 5, int dim = InputSize)
    {
        var generator = new Generator(seed);
        var centers = Tensor.Randn([NumClasses, dim], generator) * 0.3f;
        (Tensor X, Tensor Y) Sample(int n)
        {
            var y = Tensor.RandInt(0, NumClasses, [n], generator);
            var x = centers.IndexSelect(0, y) + Tensor.Randn([n, dim], generator);
            return (x, y);
        }
        var (trainX, trainY) = Sample(2000);
        var (testX, testY) = Sample(500);

        var model = new SimpleModel(dim, NumClasses, generator);
        var criterion = new CrossEntropyLoss();
        var optimizer = new Sgd(model.Parameters(), lr: 0.01);
        double first = 0, last = 0;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            double total = 0;
            int batches = 0;
            var order = Tensor.RandPerm(2000, generator);
            for (int start = 0; start < 2000; start += 100)
            {
                var index = Tensor.FromArray(order.ToInt64Array()[start..(start + 100)]);
                var loss = criterion.Forward(model.Forward(trainX.IndexSelect(0, index)), trainY.IndexSelect(0, index));
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                total += loss.Item();
                batches++;
            }
            if (epoch == 0) first = total / batches;
            last = total / batches;
        }
        model.Eval();
        using (Tensor.NoGrad())
        {
            var predicted = model.Forward(testX).ArgMax(1);
            return (predicted.Eq(testY).ToFloat().Mean().Item(), first, last);
        }
    }
}
