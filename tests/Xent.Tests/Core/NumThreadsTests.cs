using Xunit;

namespace Xent.Tests.Core;

/// <summary><c>Tensor.SetNumThreads</c>, the library's <c>torch.set_num_threads</c>.</summary>
public class NumThreadsTests
{
    [Fact]
    public void TheThreadCountIsTheLibrarysToSet_AndChangesNoResult()
    {
        int before = Tensor.GetNumThreads();
        var gen = new Generator(12);
        var x = Tensor.Randn([512, 1000], gen).RequiresGrad_();
        var t = Tensor.RandInt(1000, [512], gen);
        var w = Tensor.Randn([1000, 300], gen);
        float[] Run()
        {
            x.Grad = null;
            var loss = F.CrossEntropy(x.MatMul(w).MatMul(w.T), t);
            loss.Backward();
            return [loss.Item(), .. x.Grad!.ToArray()];
        }
        try
        {
            Tensor.SetNumThreads(1);
            Assert.Equal(1, Tensor.GetNumThreads());
            var one = Run();
            Tensor.SetNumThreads(4);
            Assert.Equal(4, Tensor.GetNumThreads());
            Assert.Equal(one, Run());
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.SetNumThreads(0));
            Assert.Contains("Number of threads must be positive", e.Message);
            Assert.Equal(4, Tensor.GetNumThreads());
            // Each thread beyond the caller is a dedicated one: int.MaxValue started one per chunk of a large kernel.
            int limit = Math.Max(1024, Environment.ProcessorCount);
            e = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.SetNumThreads(int.MaxValue));
            Assert.Contains($"Number of threads must be at most {limit} ", e.Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.SetNumThreads(limit + 1));
            Assert.Equal(4, Tensor.GetNumThreads());
            Tensor.SetNumThreads(limit); // the limit itself is taken
            Assert.Equal(limit, Tensor.GetNumThreads());
        }
        finally
        {
            Tensor.SetNumThreads(before);
        }
    }
}
