using BenchmarkDotNet.Attributes;
using Xent.Models;
using Xent.NN;
using Xent.Optim;

namespace Xent.Benchmarks;

/// <summary>
/// Whole training steps through the public API, the PyTorch tutorial's inner loops: zero_grad, forward, CrossEntropyLoss,
/// backward, optimizer step. The MNIST CNN with Adam (lr 1e-3) on a batch of 64 random 28×28 images, and the
/// PyTorch tutorial's SimpleModel (Linear 784→10) with SGD (lr 0.01) on a batch of 100. The memory diagnoser's
/// "Allocated" column is the managed allocation per step (activations and gradients).
/// Compare with bench/pytorch_bench.py train / linear, or run `xent bench train|linear` for quick numbers.
/// Run: dotnet run -c Release --project bench/Xent.Benchmarks -- --filter '*TrainingStep*'
/// </summary>
[MemoryDiagnoser]
public class TrainingStepBenchmarks
{
    private readonly CrossEntropyLoss _criterion = new();
    private MnistCnn _cnn = null!;
    private Adam _adam = null!;
    private Tensor _cnnInput = null!, _cnnTarget = null!;
    private LinearClassifier _linear = null!;
    private Sgd _sgd = null!;
    private Tensor _linearInput = null!, _linearTarget = null!;

    [GlobalSetup]
    public void Setup()
    {
        // The PyTorch tutorial's model applies Dropout2d to a 2-D input, which warns once; keep the benchmark's output clean.
        Diagnostics.Warnings.Handler = _ => { };
        var gen = new Generator(0);
        _cnn = new MnistCnn(gen);
        _cnn.Train();
        _adam = new Adam(_cnn.Parameters(), lr: 1e-3);
        _cnnInput = Tensor.Randn([64, 1, 28, 28], gen);
        _cnnTarget = Tensor.RandInt(10, [64], gen);
        _linear = new LinearClassifier(784, 10, gen);
        _sgd = new Sgd(_linear.Parameters(), lr: 0.01);
        _linearInput = Tensor.Randn([100, 784], gen);
        _linearTarget = Tensor.RandInt(10, [100], gen);
    }

    [Benchmark(Description = "MNIST CNN step, batch 64, Adam")]
    public float MnistCnnAdamStep()
    {
        _adam.ZeroGrad();
        var loss = _criterion.Forward(_cnn.Forward(_cnnInput), _cnnTarget);
        loss.Backward();
        _adam.Step();
        return loss.Item();
    }

    [Benchmark(Description = "Linear 784→10 step, batch 100, SGD")]
    public float LinearSgdStep()
    {
        _sgd.ZeroGrad();
        var loss = _criterion.Forward(_linear.Forward(_linearInput), _linearTarget);
        loss.Backward();
        _sgd.Step();
        return loss.Item();
    }
}
