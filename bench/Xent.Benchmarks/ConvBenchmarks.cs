using BenchmarkDotNet.Attributes;
using Xent.Kernels;

namespace Xent.Benchmarks;

/// <summary>
/// The two convolutions of the PyTorch tutorial's MNIST CNN at batch 64:
/// conv1 1→32 3×3 on 64×1×28×28 and conv2 32→64 3×3 on 64×32×26×26, forward and backward, and conv2 as the model
/// runs it: fused with its ReLU and the 2×2 max-pool (<see cref="Conv2dReluMaxPoolKernel"/>).
/// </summary>
[MemoryDiagnoser]
public class ConvBenchmarks
{
    private Conv2dShape _shape;
    private float[] _x = [], _w = [], _b = [], _y = [], _gy = [], _gx = [], _gw = [], _gb = [], _pooled = [], _gPooled = [];
    private int[] _argmax = [];

    /// <summary>Which layer: "conv1" or "conv2".</summary>
    [Params("conv1", "conv2")]
    public string Layer { get; set; } = "conv1";

    [GlobalSetup]
    public void Setup()
    {
        _shape = Layer == "conv1"
            ? new Conv2dShape(64, 1, 28, 28, 32, 3, 3)
            : new Conv2dShape(64, 32, 26, 26, 64, 3, 3);
        var rnd = new Random(1);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)rnd.NextDouble() - 0.5f).ToArray();
        _x = R(_shape.Batch * _shape.InputImageSize);
        _w = R(_shape.WeightSize);
        _b = R(_shape.OutChannels);
        _y = new float[_shape.Batch * _shape.OutputImageSize];
        _gy = R(_y.Length);
        _gx = new float[_x.Length];
        _gw = new float[_w.Length];
        _gb = new float[_b.Length];
        var (hp, wp) = Conv2dReluMaxPoolKernel.PooledSize(in _shape, 2, 2);
        _pooled = new float[_shape.Batch * _shape.OutChannels * hp * wp];
        _argmax = new int[_pooled.Length];
        _gPooled = R(_pooled.Length);
        Conv2dReluMaxPoolKernel.Forward(in _shape, 2, 2, _x, _w, _b, _pooled, _argmax);
    }

    [Benchmark]
    public void Forward() => Conv2dKernel.Forward(in _shape, _x, _w, _b, _y);

    [Benchmark]
    public void Backward()
    {
        // conv1 is the first layer: PyTorch skips its input gradient too.
        if (Layer != "conv1") Conv2dKernel.BackwardInput(in _shape, _gy, _w, _gx);
        Conv2dKernel.BackwardWeight(in _shape, _gy, _x, _gw);
        Conv2dKernel.BackwardBias(in _shape, _gy, _gb);
    }

    /// <summary>Convolution + ReLU + 2×2 max-pool in one pass (the model's conv2 block).</summary>
    [Benchmark]
    public void ForwardReluMaxPool() => Conv2dReluMaxPoolKernel.Forward(in _shape, 2, 2, _x, _w, _b, _pooled, _argmax);

    /// <summary>Its backward: input, weight and bias gradients from the window maxima alone.</summary>
    [Benchmark]
    public void BackwardReluMaxPool()
    {
        Conv2dReluMaxPoolKernel.Backward(in _shape, 2, 2, _gPooled, _pooled, _argmax, _x, _w, Layer == "conv1" ? default : _gx, _gw, _gb);
    }
}
