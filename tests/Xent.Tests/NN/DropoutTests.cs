using Xent.Diagnostics;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.NN;

/// <summary>Dropout is random: its tests check the statistics, the exact scale, and that backward reuses forward's mask.</summary>
[Collection(WarningsCollection.Name)]
public class DropoutTests
{
    [Theory]
    [InlineData(0.25)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void DropoutZeroesAboutPAndScalesSurvivorsExactly(double p)
    {
        const int n = 200_000;
        var x = (Tensor.Rand([n], new Generator(1)) + 0.5f).RequiresGrad_();
        var y = F.Dropout(x, p, training: true, new Generator(2));
        float scale = (float)(1.0 / (1.0 - p));
        int zeros = 0;
        var xd = x.Data; var yd = y.Data;
        for (int i = 0; i < n; i++)
        {
            if (yd[i] == 0f) zeros++;
            else Assert.Equal(xd[i] * scale, yd[i]);
        }
        // Binomial(n, p): 5 standard deviations.
        double sd = Math.Sqrt(n * p * (1 - p));
        Assert.InRange(zeros, n * p - 5 * sd, n * p + 5 * sd);

        var r = Tensor.Randn([n], new Generator(3));
        (y * r).Sum().Backward();
        var gx = x.Grad!.Data; var rd = r.Data;
        for (int i = 0; i < n; i++) Assert.Equal(yd[i] == 0f ? 0f : rd[i] * scale, gx[i]);
    }

    [Fact]
    public void DropoutEdgeCases()
    {
        var x = Tensor.Randn([4, 5], new Generator(4));
        Assert.Same(x, F.Dropout(x, 0.5, training: false));
        Check.Close(x.Data, F.Dropout(x, 0.0, training: true).Data, 0, 0);
        Assert.All(F.Dropout(x, 1.0).ToArray(), v => Assert.Equal(0f, v));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.Dropout(x, -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.Dropout(x, double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Xent.NN.Dropout(1.01));
    }

    [Fact]
    public void SameGeneratorSeedGivesSameMask()
    {
        var x = Tensor.Ones(100);
        Check.Close(F.Dropout(x, 0.3, true, new Generator(9)).Data, F.Dropout(x, 0.3, true, new Generator(9)).Data, 0, 0);
    }

    [Fact]
    public void Dropout2dZeroesWholeChannels()
    {
        var x = (Tensor.Rand([64, 16, 3, 4], new Generator(5)) + 0.5f).RequiresGrad_();
        var y = F.Dropout2d(x, 0.5, true, new Generator(6));
        var yd = y.Data; var xd = x.Data;
        int dropped = 0;
        for (int c = 0; c < 64 * 16; c++)
        {
            var plane = yd.Slice(c * 12, 12);
            bool zero = plane[0] == 0f;
            if (zero) dropped++;
            for (int j = 0; j < 12; j++) Assert.Equal(zero ? 0f : xd[c * 12 + j] * 2f, plane[j]);
        }
        double sd = Math.Sqrt(1024 * 0.25);
        Assert.InRange(dropped, 512 - 5 * sd, 512 + 5 * sd);
        y.Sum().Backward();
        for (int i = 0; i < yd.Length; i++) Assert.Equal(yd[i] == 0f ? 0f : 2f, x.Grad!.Data[i]);
    }

    [Fact]
    public void Dropout2dOn2dInputIsElementwiseAndWarnsOnceLikePyTorch113()
    {
        var messages = new List<string>();
        var saved = Warnings.Handler;
        Warnings.Reset();
        Warnings.Handler = messages.Add;
        try
        {
            var x = Tensor.Ones(200, 50);
            var y = F.Dropout2d(x, 0.5, true, new Generator(7));
            F.Dropout2d(x, 0.5, false);
            // Element-wise: each row keeps a mix of zeros and 2s, not all-or-nothing.
            int mixedRows = 0;
            for (int i = 0; i < 200; i++)
            {
                var row = y.Data.Slice(i * 50, 50);
                Assert.All(row.ToArray(), v => Assert.True(v == 0f || v == 2f));
                if (row.Contains(0f) && row.Contains(2f)) mixedRows++;
            }
            Assert.Equal(200, mixedRows);
            Assert.Single(messages);
            Assert.StartsWith("dropout2d: Received a 2-D input to dropout2d, which is deprecated", messages[0]);
        }
        finally
        {
            Warnings.Handler = saved;
        }
    }

    [Fact]
    public void Dropout2dRejectsRank1()
    {
        var saved = Warnings.Handler;
        Warnings.Handler = _ => { };
        try
        {
            var e = Assert.Throws<ArgumentException>(() => F.Dropout2d(Tensor.Ones(6), 0.5));
            Assert.StartsWith("Feature dropout requires at least 2 dimensions in the input", e.Message);
        }
        finally
        {
            Warnings.Handler = saved;
        }
    }

    [Fact]
    public void DropoutModulesFollowTrainEvalAndAreReproducibleFromTheDefaultSeed()
    {
        var x = Tensor.Ones(8, 4, 2, 2);
        Tensor.ManualSeed(123);
        var a = new Xent.NN.Dropout2d(0.5);
        Tensor.ManualSeed(123);
        var b = new Xent.NN.Dropout2d(0.5);
        Check.Close(a.Forward(x).Data, b.Forward(x).Data, 0, 0);
        a.Eval();
        Assert.Same(x, a.Forward(x));
        var d = new Xent.NN.Dropout(0.5);
        d.Eval();
        Assert.Same(x, d.Forward(x));
    }

    [Fact]
    public void WarningsWarnOncePerKey()
    {
        var messages = new List<string>();
        var saved = Warnings.Handler;
        Warnings.Handler = messages.Add;
        try
        {
            string key = "test." + Guid.NewGuid();
            Assert.True(Warnings.Warn(key, "first"));
            Assert.False(Warnings.Warn(key, "second"));
            Assert.Equal(["first"], messages);
        }
        finally
        {
            Warnings.Handler = saved;
        }
    }
}
