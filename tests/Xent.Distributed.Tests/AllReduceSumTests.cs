using Xent.Distributed.Tests.Support;
using Xent.Distributed.TestHost;
using Xent.IO;

namespace Xent.Distributed.Tests;

/// <summary>
/// <see cref="MpiWorld.AllReduceSum(Span{float})"/> gives every rank <c>((x₀ + x₁) + x₂) + …</c> in rank order, bit for bit,
/// on both of its paths (one Allgather below 256 KiB per rank, Alltoall + Allgather above). The values mix large terms of
/// both signs with small ones, so another order of additions would round differently.
/// </summary>
public sealed class AllReduceSumTests
{
    [MpiTheory]
    [InlineData(2, 1000)]      // gather path
    [InlineData(3, 1001)]
    [InlineData(2, 100_003)]   // scatter path, length not a multiple of the rank count
    [InlineData(3, 100_003)]
    public void EveryRankGetsTheRankOrderedSum(int ranks, int count)
    {
        using var dir = new TempDir();
        var run = Mpi.Run(ranks, Mpi.Host, ["sum", dir.Path, count.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var expected = new float[count];
        int orderMatters = 0;
        for (int i = 0; i < count; i++)
        {
            float s = SumCase.Value(0, i), reversed = SumCase.Value(ranks - 1, i);
            for (int r = 1; r < ranks; r++) s += SumCase.Value(r, i);
            for (int r = ranks - 2; r >= 0; r--) reversed += SumCase.Value(r, i);
            expected[i] = s;
            if (s != reversed) orderMatters++;
        }
        if (ranks > 2)
            Assert.True(orderMatters > count / 100, $"only {orderMatters} sums depend on the order: the test would not see a wrong one");
        for (int r = 0; r < ranks; r++) Assert.Equal(expected, Npy.Read(dir[$"sum.{r}.npy"]).ToFloat32());
    }
}
