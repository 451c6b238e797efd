namespace Xent.Cli.Commands;

/// <summary>
/// <c>xent train</c>'s command line, one property per option; <paramref name="Given"/> names the options given explicitly (not
/// left to their defaults), which a resumed run compares with its checkpoint rather than taking the checkpoint's values.
/// </summary>
internal sealed record TrainSettings(string? Data, string? Labels, string? Target, string? Features, string? MultiLabel,
    string Missing, string? ImageSize, string? TestData, string? TestLabels, double? ValSplit, string Model, string? Hidden,
    int Epochs, int BatchSize, int TestBatchSize, double? Lr, string Optimizer, double Momentum, double? WeightDecay,
    string Loss, float? FocalGamma, float LabelSmoothing,
    string ClassWeights, string PosWeight, string Schedule, double Gamma, int Warmup, double? ClipGradNorm,
    int? Patience,
    long Seed, int? Threads, string? Out, string? Resume, int? LimitBatches,
    bool Overwrite, IReadOnlySet<string> Given)
{
    /// <summary>Whether <paramref name="option"/> (<c>--lr-gamma</c>) was given, rather than left to its default.</summary>
    public bool Gave(string option) => Given.Contains(option);

    /// <summary>The loss, schedule and <c>--missing</c> options the command line gave explicitly (null: left out).</summary>
    public ResumedOptions GivenOptions() => new(
        Loss: Gave("--loss") ? Loss : null,
        Gamma: FocalGamma,
        LabelSmoothing: Gave("--label-smoothing") ? LabelSmoothing : null,
        ClassWeights: Gave("--class-weights") ? ClassWeights : null,
        PosWeight: Gave("--pos-weight") ? PosWeight : null,
        Schedule: Gave("--lr-schedule") ? Schedule : null,
        Warmup: Gave("--warmup") ? Warmup : null,
        LrGamma: Gave("--lr-gamma") ? Gamma : null,
        Missing: Gave("--missing") ? Missing : null);

    /// <summary>
    /// These settings with every loss, schedule and <c>--missing</c> option that was left out taken from the checkpoint's run
    /// (<paramref name="recorded"/>), so that the same command without them resumes; one the checkpoint does not record keeps its
    /// default.
    /// </summary>
    public TrainSettings WithCheckpointOptions(ResumedOptions recorded) => this with
    {
        Loss = !Gave("--loss") && recorded.Loss is { } loss ? loss : Loss,
        FocalGamma = FocalGamma ?? recorded.Gamma,
        LabelSmoothing = !Gave("--label-smoothing") && recorded.LabelSmoothing is { } smoothing ? smoothing : LabelSmoothing,
        ClassWeights = !Gave("--class-weights") && recorded.ClassWeights is { } weights ? weights : ClassWeights,
        PosWeight = !Gave("--pos-weight") && recorded.PosWeight is { } pos ? pos : PosWeight,
        Schedule = !Gave("--lr-schedule") && recorded.Schedule is { } schedule ? schedule : Schedule,
        Warmup = !Gave("--warmup") && recorded.Warmup is { } warmup ? warmup : Warmup,
        Gamma = !Gave("--lr-gamma") && recorded.LrGamma is { } lrGamma ? lrGamma : Gamma,
        Missing = !Gave("--missing") && recorded.Missing is { } missing ? missing : Missing,
    };
}
