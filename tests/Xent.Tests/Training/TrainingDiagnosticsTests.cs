using Xent.NN;
using Xent.Optim;
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
    public void TheLibrarysAdviceSaysLearningRate_AndTheCliAddsItsFlag()
    {
        // qa-s21-tutorial L1: a C# user was told to pass --lr, a flag of the CLI.
        Assert.Equal("the loss became NaN at epoch 2, batch 37; training stopped. Try a lower learning rate.",
            TrainingDiagnostics.CheckFinite(double.NaN, 2, 37));
        Assert.Equal("the loss became NaN at epoch 2, batch 37; training stopped. Try a lower learning rate (--lr).",
            TrainingDiagnostics.CheckFinite(double.NaN, 2, 37, "--lr"));
        Assert.EndsWith("the best before it (0.5000); the learning rate may be too high: try a lower one.",
            TrainingDiagnostics.CheckEpochProgress(3, 0.5, 0.7));
        Assert.EndsWith("; the learning rate may be too high: try a lower one (--lr).",
            TrainingDiagnostics.CheckEpochProgress(3, 0.5, 0.7, "--lr"));
        string Stall(string? option)
        {
            var progress = new EpochProgress { LearningRateOption = option };
            for (int e = 1; e <= EpochProgress.StallEpochs; e++) Assert.Null(progress.Add(e, 1.0));
            return progress.Add(EpochProgress.StallEpochs + 1, 1.0)!;
        }
        Assert.Contains(": if it is still high, try another learning rate, lower if the loss jumps around and higher if it barely " +
            "moves, or a larger model;", Stall(null));
        Assert.Contains("try another learning rate (--lr), lower if", Stall("--lr"));
        Assert.DoesNotContain("--", Stall(null));
    }

    [Fact]
    public void TheLibrarysTrainerNamesNoCommandLineFlag()
    {
        var rnd = new Random(3);
        var batches = Enumerable.Range(0, 4).Select(_ => (
            Tensor.FromArray(Enumerable.Range(0, 8 * 6).Select(_ => (float)(rnd.NextDouble() * 2 - 1)).ToArray(), [8, 6]),
            Tensor.FromArray(Enumerable.Range(0, 8).Select(_ => (long)rnd.Next(3)).ToArray()))).ToArray();
        batches[0].Item1.Data[0] = float.NaN; // the first batch's loss is NaN
        var model = new Sequential(new Linear(6, 3, generator: new Generator(11)));
        var trainer = new Trainer(model, new Sgd(model.Parameters(), 0.1), (x, y) => F.CrossEntropy(x, y),
            new TrainerOptions { Epochs = 1 });
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Run(_ => batches, batches.Length, () => batches));
        Assert.EndsWith("; training stopped. Try a lower learning rate.", e.Message);
    }

    [Fact]
    public void EpochWellAboveTheBestBeforeItWarns()
    {
        Assert.Null(TrainingDiagnostics.CheckEpochProgress(1, null, 0.9));
        Assert.Null(TrainingDiagnostics.CheckEpochProgress(2, 0.9, 0.5));
        string? rise = TrainingDiagnostics.CheckEpochProgress(3, 0.5, 0.7); // 40% above
        Assert.NotNull(rise);
        Assert.Contains("epoch 3", rise);
        Assert.Contains("40% above", rise);
        Assert.Contains("try a lower one", rise);
    }

    [Theory]
    [InlineData(0.5, 0.5, false)]        // no change (qa-s20-journey M3: "0.0069 -> 0.0069" warned)
    [InlineData(0.0069, 0.0069, false)]
    [InlineData(0.0893, 0.1039, false)]  // +16%: iris mlp at the end of DATA.md's cosine recipe, batch noise
    [InlineData(0.5, 0.62, false)]       // +24%: within the 25% tolerance
    [InlineData(0.5, 0.63, true)]        // +26%
    [InlineData(0.0069, 0.0150, false)]  // +117%, but 0.008 nats: a loss near zero
    [InlineData(0.02, 0.031, true)]      // +55% and 0.011 nats
    public void ARiseWarnsOnlyBeyondTheTolerance(double best, double loss, bool warns) =>
        Assert.Equal(warns, TrainingDiagnostics.CheckEpochProgress(7, best, loss) is not null);

    [Fact]
    public void NoisyEpochsAtAPlateauDoNotWarn()
    {
        // Iris linear's training losses, epochs 31-60 of DATA.md's recipe: the loss wobbles by up to 8% about a slow descent.
        double[] losses = [0.2359, 0.2428, 0.2391, 0.2258, 0.2256, 0.2284, 0.2310, 0.2267, 0.2342, 0.2294, 0.2246, 0.2176, 0.2232,
            0.2218, 0.2315, 0.2237, 0.2146, 0.2319, 0.2178, 0.2283, 0.2156, 0.2234, 0.2118, 0.2190, 0.2199, 0.2225, 0.2166, 0.2209,
            0.2275, 0.2148];
        var progress = new EpochProgress();
        for (int i = 0; i < losses.Length; i++) Assert.Null(progress.Add(31 + i, losses[i]));
    }

    [Fact]
    public void NoNewBestForTenEpochsWarnsOnceUntilTheNextBest()
    {
        var progress = new EpochProgress();
        Assert.Null(progress.Add(1, 1.0));
        for (int e = 2; e <= EpochProgress.StallEpochs; e++) Assert.Null(progress.Add(e, 0.995)); // less than 1% lower: no best
        string? stall = progress.Add(EpochProgress.StallEpochs + 1, 1.0);
        Assert.NotNull(stall);
        Assert.Contains("best (1.0000, epoch 1) for 10 epochs", stall);
        for (int e = 12; e <= 30; e++) Assert.Null(progress.Add(e, 1.0)); // said once
        Assert.Null(progress.Add(31, 0.9)); // a new best re-arms it
        for (int e = 32; e <= 40; e++) Assert.Null(progress.Add(e, 0.9));
        Assert.NotNull(progress.Add(41, 0.9));
    }

    [Fact]
    public void NoStallWarningWhileTheScheduleAnneals()
    {
        // qa-s21-seen L11: README's iris recipe (60 epochs, cosine) warned "try another --lr" at epoch 57, when the rate was
        // 0.6% of --lr: a loss that stops falling there is what the schedule does. The factors are LrSchedule's own.
        var cosine = new LrSchedule { Kind = "cosine" };
        double Factor(int epoch) => cosine.Factor(epoch, 8, 8, 60); // the epoch's last step of 8
        double Loss(int epoch) => Math.Pow(0.98, Math.Min(epoch, 45)); // 2% better each epoch, then flat from epoch 45
        var progress = new EpochProgress();
        for (int e = 1; e <= 60; e++) Assert.Null(progress.Add(e, Loss(e), Factor(e)));
        Assert.True(Factor(55) < EpochProgress.AnnealedRate);
        // The same losses at a constant rate warn at epoch 55, ten epochs after the last best.
        var constant = new EpochProgress();
        for (int e = 1; e <= 54; e++) Assert.Null(constant.Add(e, Loss(e)));
        Assert.Contains("for 10 epochs", constant.Add(55, Loss(55)));
        // A stall early in a cosine run, while the rate is high, still warns.
        var early = new EpochProgress();
        for (int e = 1; e <= EpochProgress.StallEpochs; e++) Assert.Null(early.Add(e, 1.0, Factor(e)));
        Assert.True(Factor(EpochProgress.StallEpochs + 1) > EpochProgress.AnnealedRate);
        Assert.NotNull(early.Add(EpochProgress.StallEpochs + 1, 1.0, Factor(EpochProgress.StallEpochs + 1)));
    }

    [Fact]
    public void ARiseIsComparedWithTheBestSoFarAndSaidOnceUntilTheNextBest()
    {
        var progress = new EpochProgress();
        Assert.Null(progress.Add(1, 1.0));
        Assert.Null(progress.Add(2, 0.5));
        Assert.Null(progress.Add(3, 0.6)); // +20%
        Assert.Contains("epoch 4's training loss (0.7000) is 40% above the best before it (0.5000)", progress.Add(4, 0.7));
        Assert.Null(progress.Add(5, 0.9));
        Assert.Null(progress.Add(6, 0.4)); // a new best
        Assert.NotNull(progress.Add(7, 0.8));
    }

    [Fact]
    public void ARiseWarningDoesNotSilenceTheStallWarning()
    {
        // qa-s20-b L2: one flag covered both warnings, so a run stuck at chance after one rise was never told it had stalled.
        var progress = new EpochProgress();
        Assert.Null(progress.Add(1, 1.8));
        Assert.Contains("% above the best before it", progress.Add(2, 2.4)); // +33%
        for (int e = 3; e <= EpochProgress.StallEpochs; e++) Assert.Null(progress.Add(e, 2.0));
        Assert.Contains("has not gone 1% below its best (1.8000, epoch 1) for 10 epochs", progress.Add(1 + EpochProgress.StallEpochs, 2.0));
        for (int e = 2 + EpochProgress.StallEpochs; e <= 40; e++) Assert.Null(progress.Add(e, 2.4)); // each said once
    }

    [Fact]
    public void ADivergingLossIsSaidInAFewDigits()
    {
        // qa-s20-b L2: "epoch 2's training loss (21335953915787292672.0000) is 13549433317005% above …".
        Assert.StartsWith("epoch 2's training loss (2.134E+19) is 1.355E+16 times the best before it (1574.6000);",
            TrainingDiagnostics.CheckEpochProgress(2, 1574.6, 21335953915787292672.0));
        Assert.StartsWith("epoch 2's training loss (3.0000) is 200% above the best before it (1.0000);",
            TrainingDiagnostics.CheckEpochProgress(2, 1.0, 3.0));
        Assert.StartsWith("epoch 2's training loss (12.0000) is 12 times the best before it (1.0000);",
            TrainingDiagnostics.CheckEpochProgress(2, 1.0, 12.0));
    }

    [Fact]
    public void ARiseWarningWritesItsNumbersInOneForm()
    {
        // qa-s21-seen L1: "epoch 2's training loss (9.857E+6) is 2.17E+05 times the best before it (45.3897)": E+6 and E+05.
        Assert.StartsWith("epoch 2's training loss (9.857E+6) is 217164 times the best before it (45.3897);",
            TrainingDiagnostics.CheckEpochProgress(2, 45.3897, 9.857e6));
        Assert.StartsWith("epoch 2's training loss (125.0000) is 12.5 times the best before it (10.0000);",
            TrainingDiagnostics.CheckEpochProgress(2, 10.0, 125.0));
    }

    [Theory]
    // qa-s21-seen L1: a diverged run's loss was "5832045920439663541175295712635650048.0000" on the terminal.
    [InlineData(5.832045920439664E+36, "5.832E+36")]
    [InlineData(9857000.0, "9.857E+6")]
    [InlineData(1e6, "1E+6")]
    [InlineData(999999.25, "999999.2500")]
    [InlineData(0.14149082558645576, "0.1415")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    public void TerminalNumbersAreFixedPointBelowAMillionAndShortAbove(double value, string expected) =>
        Assert.Equal(expected, NumberText.Fixed(value));

    [Fact]
    public void AResumedRunComparesWithTheCheckpointsLoss()
    {
        var progress = new EpochProgress();
        progress.Resume(5, 0.5);
        Assert.Contains("epoch 6", progress.Add(6, 0.7));
    }
}
