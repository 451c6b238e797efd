using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Core;

/// <summary>A generator shared by threads (Generator.Default above all) hands out its stream without repeats or tears.</summary>
public class GeneratorThreadTests
{
    [Fact]
    public void TensorsDrawnOnSixteenThreadsFromOneGenerator_AreEachAWholePieceOfItsStream()
    {
        // Unlocked, concurrent draws repeated values (about 18,000 of 320,000) and tore the xoshiro state.
        const int threads = 16, n = 20_000; // n even: Box–Muller's pairs do not straddle two tensors
        var sequential = new Generator(123);
        var pieces = Enumerable.Range(0, threads).Select(_ => Tensor.Randn([n], sequential).ToArray()).ToList();
        var shared = new Generator(123);
        var got = new float[threads][];
        Concurrently.Run(threads, i => got[i] = Tensor.Randn([n], shared).ToArray());
        foreach (var tensor in got)
        {
            int match = pieces.FindIndex(p => p.AsSpan().SequenceEqual(tensor));
            Assert.True(match >= 0, "a tensor is not one whole piece of the generator's stream");
            pieces.RemoveAt(match);
        }
    }

    [Fact]
    public void SingleDrawsOnSixteenThreads_AreTheStreamsValuesEachOnce()
    {
        const int threads = 16, each = 50_000, rounds = 4; // unlocked, a round caught the race about one time in three
        var sequential = new Generator(7);
        var shared = new Generator(7);
        for (int round = 0; round < rounds; round++)
        {
            var stream = Enumerable.Range(0, threads * each).Select(_ => sequential.NextUInt64()).Order().ToArray();
            var got = new ulong[threads][];
            Concurrently.Run(threads, i => got[i] = Enumerable.Range(0, each).Select(_ => shared.NextUInt64()).ToArray());
            Assert.Equal(stream, got.SelectMany(g => g).Order().ToArray());
        }
    }
}
