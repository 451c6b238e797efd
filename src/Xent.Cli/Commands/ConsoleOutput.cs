using Spectre.Console;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// Training progress on the console: a Spectre.Console progress bar per epoch (batches, samples/s,
/// running loss, ETA) when stdout is a terminal, plain lines otherwise; the PyTorch tutorial's line
/// <c>Epoch: E, Batch: B, Loss: L</c> every 100 batches either way. Warnings go to stderr, or through the live display when
/// stderr is the same terminal.
/// </summary>
internal static class ConsoleOutput
{
    public static EpochResult? RunWithProgress(Trainer trainer, int epochs, RunWarnings warnings,
        Func<int, IEnumerable<(Tensor Input, Tensor Target)>> trainBatches, int batchesPerEpoch,
        Func<IEnumerable<(Tensor Input, Tensor Target)>> testBatches)
    {
        // The live display needs a terminal wide enough for its row and for the log lines above it: a line that wraps (an
        // epoch's summary is about 110 characters) left fragments of the progress row in the log, at 80 columns.
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive || AnsiConsole.Profile.Width < MinLiveWidth)
        {
            trainer.Log = Console.WriteLine;
            return trainer.Run(trainBatches, batchesPerEpoch, testBatches);
        }

        // A line written straight to a terminal's stderr lands inside the live region, whose next redraw wrote over it: while the
        // display runs, stderr's lines (every warning: the command's, the trainer's, the library's) go through it instead, and are
        // kept for the report as before. A redirected stderr still gets them.
        using var shown = Console.IsErrorRedirected ? null : warnings.ShowOn(AnsiConsole.WriteLine);
        return RunLive(trainer, epochs, trainBatches, batchesPerEpoch, testBatches);
    }

    /// <summary>Columns below which training logs plain lines even on a terminal.</summary>
    private const int MinLiveWidth = 120;

    private static EpochResult? RunLive(Trainer trainer, int epochs,
        Func<int, IEnumerable<(Tensor Input, Tensor Target)>> trainBatches, int batchesPerEpoch,
        Func<IEnumerable<(Tensor Input, Tensor Target)>> testBatches)
    {
        EpochResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(),
                new SpinnerColumn())
            .Start(ctx =>
            {
                ProgressTask? task = null;
                int taskEpoch = 0;
                trainer.Log = line => AnsiConsole.WriteLine(line);
                trainer.BatchCompleted = p =>
                {
                    if (task is null || taskEpoch != p.Epoch)
                    {
                        task?.StopTask();
                        task = ctx.AddTask($"Epoch {p.Epoch}/{epochs}", maxValue: p.BatchesPerEpoch);
                        taskEpoch = p.Epoch;
                    }
                    double rate = p.EpochSeconds > 0 ? p.Samples / p.EpochSeconds : 0;
                    task.Description =
                        $"Epoch {p.Epoch}/{epochs} [grey]batch[/] {p.Batch}/{p.BatchesPerEpoch} [grey]loss[/] " +
                        $"{NumberText.Fixed(p.RunningLoss)} [grey]{rate:F0} samples/s[/]";
                    task.Value = p.Batch;
                };
                trainer.EpochCompleted += r => task?.StopTask();
                result = trainer.Run(trainBatches, batchesPerEpoch, testBatches);
            });
        return result;
    }
}
