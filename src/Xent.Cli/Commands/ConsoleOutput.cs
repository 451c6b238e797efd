using Spectre.Console;
using Xent.Diagnostics;
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

        // A warning written straight to a terminal's stderr lands inside the live region, whose next redraw overwrote it; on
        // the same terminal it goes through the display instead (a redirected stderr still gets it), and is kept for the report
        // as stderr's warnings are. Both kinds: the library's (Warnings.Handler) and the trainer's own (a rising loss, a NaN
        // held-out loss), which the run writes to stderr.
        var libraryWarning = Warnings.Handler;
        var trainerWarning = trainer.Warning;
        if (!Console.IsErrorRedirected)
        {
            void Show(string message)
            {
                AnsiConsole.WriteLine("Warning: " + message);
                warnings.Add(message);
            }
            Warnings.Handler = Show;
            if (trainerWarning is not null) trainer.Warning = Show;
        }
        try
        {
            return RunLive(trainer, epochs, trainBatches, batchesPerEpoch, testBatches);
        }
        finally
        {
            Warnings.Handler = libraryWarning;
            trainer.Warning = trainerWarning;
        }
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
