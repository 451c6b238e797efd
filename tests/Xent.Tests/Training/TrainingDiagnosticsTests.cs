using Xent.Training;
using Xunit;

namespace Xent.Tests.Training;

public class TrainingDiagnosticsTests
{
    [Theory]
    [InlineData(2.30, 10, false)]
    [InlineData(2.9, 10, false)]
    [InlineData(3.4, 10, true)]   // ln 10 ≈ 2.3026, more than 1 nat above
    [InlineData(1.2, 10, true)]   // more than 1 nat below
    [InlineData(0.70, 2, false)]
    [InlineData(25.0, 2, true)]
    public void InitialLossIsComparedWithLnC(double loss, int classes, bool warns)
    {
        string? w = TrainingDiagnostics.CheckInitialLoss(loss, classes);
        Assert.Equal(warns, w is not null);
        if (warns) Assert.Contains($"ln({classes})", w);
    }

    [Fact]
    public void NonFiniteLossNamesEpochAndBatch()
    {
        Assert.Null(TrainingDiagnostics.CheckFinite(1.5, 1, 1));
        string? nan = TrainingDiagnostics.CheckFinite(double.NaN, 2, 37);
        Assert.NotNull(nan);
        Assert.Contains("NaN", nan);
        Assert.Contains("epoch 2, batch 37", nan);
        Assert.Contains("infinite", TrainingDiagnostics.CheckFinite(double.PositiveInfinity, 1, 1));
    }

    [Fact]
    public void EpochThatDoesNotLowerTheLossWarns()
    {
        Assert.Null(TrainingDiagnostics.CheckEpochProgress(1, null, 0.9));
        Assert.Null(TrainingDiagnostics.CheckEpochProgress(2, 0.9, 0.5));
        Assert.NotNull(TrainingDiagnostics.CheckEpochProgress(2, 0.5, 0.5));
        Assert.Contains("epoch 3", TrainingDiagnostics.CheckEpochProgress(3, 0.5, 0.7));
    }
}
