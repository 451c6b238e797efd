using Xent.Autograd;
using Xent.Models;
using Xent.Optim;

namespace Xent.Cli.Bench;

/// <summary>Result of <c>xent bench train</c>: time per batch and what a steady-state batch allocates.</summary>
internal sealed record TrainBenchResult(BenchStats Stats, int BatchSize, double SamplesPerS, TrainAllocation Allocation, float LastLoss);

/// <summary>
/// Managed bytes allocated per steady-state batch (all threads, <see cref="GC.GetTotalAllocatedBytes(bool)"/>), in total and per
/// phase (forward incl. loss, backward, optimizer zero_grad + step), the garbage collections those batches triggered and the
/// time the GC paused the program per batch (<see cref="GC.GetTotalPauseDuration"/>). <c>MinBytesPerBatch</c> is the least one
/// of those batches allocated: a batch right after a full collection re-rents the buffers the collection trimmed from the pool.
/// </summary>
internal sealed record TrainAllocation(long BytesPerBatch, long ForwardBytes, long BackwardBytes, long StepBytes, int Gen0, int Gen1,
    int Gen2, double GcPauseMsPerBatch, long MinBytesPerBatch);

/// <summary>
/// One training step of the PyTorch tutorial's CNN (<see cref="MnistCnn"/>: conv 1→32, conv 32→64, max-pool, dropout, fc 9216→128,
/// fc 128→10) on a batch of 64 random 28×28 images: <c>zero_grad; loss = CrossEntropyLoss(model(x), t); backward; Adam(lr 1e-3).step</c>,
/// the PyTorch tutorial's inner loop without the data loader.
/// </summary>
internal static class TrainBench
{
    public const int BatchSize = 64;

    public static TrainBenchResult Run(int warmup, int batches)
    {
        var gen = new Generator(0);
        var model = new MnistCnn(gen);
        model.Train();
        // The PyTorch tutorial's model applies Dropout2d to a 2-D input, which warns (as in PyTorch, whose side filters warnings too).
        Diagnostics.Warnings.Handler = _ => { };
        var opt = new Adam(model.Parameters(), lr: 1e-3);
        var crit = new NN.CrossEntropyLoss();
        var x = Tensor.Randn([BatchSize, 1, 28, 28], gen);
        var t = Tensor.RandInt(10, [BatchSize], gen);
        float last = float.NaN;
        void Step()
        {
            using var arena = StepArena.Begin(); // as Trainer: activations recycled from batch to batch
            opt.ZeroGrad();
            var loss = crit.Forward(model.Forward(x), t);
            loss.Backward();
            opt.Step();
            last = loss.Item();
        }

        var stats = BenchTimer.Measure(Step, warmup, batches);

        // Allocation, measured in separate batches so the precise counters do not perturb the timings.
        const int allocBatches = 10;
        long fwd = 0, bwd = 0, step = 0, min = long.MaxValue;
        int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
        var pause0 = GC.GetTotalPauseDuration();
        long total0 = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < allocBatches; i++)
        {
            using var arena = StepArena.Begin();
            long a0 = GC.GetTotalAllocatedBytes(precise: true);
            opt.ZeroGrad();
            var loss = crit.Forward(model.Forward(x), t);
            long a1 = GC.GetTotalAllocatedBytes(precise: true);
            loss.Backward();
            long a2 = GC.GetTotalAllocatedBytes(precise: true);
            opt.Step();
            long a3 = GC.GetTotalAllocatedBytes(precise: true);
            fwd += a1 - a0;
            bwd += a2 - a1;
            step += a3 - a2;
            min = Math.Min(min, a3 - a0);
        }
        long total = GC.GetTotalAllocatedBytes(precise: true) - total0;
        var alloc = new TrainAllocation(total / allocBatches, fwd / allocBatches, bwd / allocBatches, step / allocBatches,
            GC.CollectionCount(0) - g0, GC.CollectionCount(1) - g1, GC.CollectionCount(2) - g2,
            (GC.GetTotalPauseDuration() - pause0).TotalMilliseconds / allocBatches, min);
        return new TrainBenchResult(stats, BatchSize, BatchSize / stats.MedianMs * 1000, alloc, last);
    }
}
