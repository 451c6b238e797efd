using Xent.Distributed.Tests.Support;
using Xent.Distributed.TestHost;
using Xent.IO;

namespace Xent.Distributed.Tests;

/// <summary>
/// <see cref="VocabParallel.LinearCrossEntropy"/> under <c>mpiexec -n 2</c> and <c>-n 3</c> (V not divisible by 3, so the
/// slices are uneven) against the single-process fused <see cref="F.LinearCrossEntropy"/> on the same inputs: loss, the
/// hidden states' gradient (every rank's copy) and each rank's slice of the weight and bias gradients, to rtol 1e-5
/// (atol 1e-6 of the tensor's largest entry, for entries that cancel to about zero).
/// </summary>
public sealed class VocabParallelTests
{
    private const double Rtol = 1e-5, AtolFraction = 1e-6;

    // (ranks, case): N, D, V, bias, class weights, ignored rows, label smoothing, z-loss, soft-cap, reduction.
    public static TheoryData<int, LinearCeCase> Cases() => new()
    {
        { 2, new LinearCeCase(33, 16, 100, false, false, false, 0f, 0f, null, Reduction.Mean) },
        { 3, new LinearCeCase(33, 16, 100, false, false, false, 0f, 0f, null, Reduction.Mean) },
        { 2, new LinearCeCase(40, 24, 301, true, true, true, 0.1f, 1e-3f, null, Reduction.Mean) },
        { 3, new LinearCeCase(40, 24, 301, true, true, true, 0.1f, 1e-3f, null, Reduction.Mean) },
        { 3, new LinearCeCase(29, 8, 97, true, false, true, 0.2f, 0f, 3f, Reduction.Sum) },
        { 2, new LinearCeCase(29, 8, 97, false, true, false, 0f, 1e-2f, 5f, Reduction.None) },
    };

    [MpiTheory]
    [MemberData(nameof(Cases))]
    public void MatchesTheSingleProcessFusedPath(int ranks, LinearCeCase c)
    {
        using var dir = new TempDir();
        var run = Mpi.Run(ranks, Mpi.Host, ["linear-ce", dir.Path, .. c.ToArgs()]);
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Stderr}");

        var (h, w, b, cw, t, upstream) = c.Inputs();
        var hidden = Tensor.FromArray(h, [c.N, c.D]).RequiresGrad_();
        var weight = Tensor.FromArray(w, [c.V, c.D]).RequiresGrad_();
        var bias = b is null ? null : Tensor.FromArray(b).RequiresGrad_();
        var loss = F.LinearCrossEntropy(hidden, weight, Tensor.FromArray(t), bias, cw is null ? null : Tensor.FromArray(cw),
            LinearCeCase.IgnoreIndex, c.Reduction, c.Smoothing, c.ZLoss, c.Softcap);
        loss.Backward(c.Reduction == Reduction.None ? Tensor.FromArray(upstream) : null);
        float[] expectedLoss = loss.ToArray(), gh = hidden.Grad!.ToArray(), gw = weight.Grad!.ToArray(), gb = bias?.Grad!.ToArray() ?? [];

        float[] Read(string name, int rank) => Npy.Read(dir[$"{name}.{rank}.npy"]).ToFloat32();
        float[] gh0 = Read("gh", 0);
        for (int r = 0; r < ranks; r++)
        {
            Close.All(expectedLoss, Read("loss", r), Rtol, AtolFraction * Close.Scale(expectedLoss), $"loss on rank {r}");
            Close.All(gh, Read("gh", r), Rtol, AtolFraction * Close.Scale(gh), $"d hidden on rank {r}");
            Assert.Equal(gh0, Read("gh", r)); // the ranks' copies agree bit for bit (deterministic sums)
            var (start, length) = VocabParallel.Shard(c.V, r, ranks);
            Close.All(gw.AsSpan(start * c.D, length * c.D), Read("gw", r), Rtol, AtolFraction * Close.Scale(gw),
                $"d weight rows [{start}, {start + length}) on rank {r}");
            if (b is not null)
            {
                Close.All(gb.AsSpan(start, length), Read("gb", r), Rtol, AtolFraction * Close.Scale(gb),
                    $"d bias [{start}, {start + length}) on rank {r}");
            }
        }
    }

    [Fact]
    public void ShardsCoverTheVocabularyContiguously()
    {
        foreach (int p in new[] { 1, 2, 3, 7 })
        {
            int next = 0;
            for (int r = 0; r < p; r++)
            {
                var (start, length) = VocabParallel.Shard(100, r, p);
                Assert.Equal(next, start);
                Assert.InRange(length, 100 / p, 100 / p + 1);
                next = start + length;
            }
            Assert.Equal(100, next);
        }
    }

    [Fact]
    public void ShardRefusesANegativeVocabularyAndARankOutsideTheWorld()
    {
        // A negative vocabulary gave negative lengths ((-5, 0, 2) was (0, -2)) instead of an error.
        Assert.Equal("vocabSize", Assert.Throws<ArgumentOutOfRangeException>(() => VocabParallel.Shard(-5, 0, 2)).ParamName);
        Assert.Equal("size", Assert.Throws<ArgumentOutOfRangeException>(() => VocabParallel.Shard(10, 0, 0)).ParamName);
        Assert.Equal("rank", Assert.Throws<ArgumentOutOfRangeException>(() => VocabParallel.Shard(10, 2, 2)).ParamName);
        Assert.Equal((0, 0), VocabParallel.Shard(0, 1, 2)); // an empty vocabulary is empty shards
    }
}
