using Spectre.Console;
using Xent.Diagnostics;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// Training progress on the console: a Spectre.Console progress bar per epoch (batches, samples/s,
/// running loss, ETA) when stdout is a terminal, plain lines otherwise; the PyTorch tutorial's line
/// <c>Epoch: E, Batch: B, Loss: L</c> every 100 batches either way. Warnings go to stderr.
/// </summary>
internal static class ConsoleOutput
{
    public static EpochResult? RunWithProgress(Trainer trainer, int epochs,
        Func<int, IEnumerable<(Tensor Input, Tensor Target)>> trainBatches, int batchesPerEpoch,
        Func<IEnumerable<(Tensor Input, Tensor Target)>> testBatches)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            trainer.Log = Console.WriteLine;
            return trainer.Run(trainBatches, batchesPerEpoch, testBatches);
        }

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
                        $"Epoch {p.Epoch}/{epochs} [grey]batch[/] {p.Batch}/{p.BatchesPerEpoch} [grey]loss[/] {p.RunningLoss:F4} " +
                        $"[grey]{rate:F0} samples/s[/]";
                    task.Value = p.Batch;
                };
                trainer.EpochCompleted += r => task?.StopTask();
                result = trainer.Run(trainBatches, batchesPerEpoch, testBatches);
            });
        return result;
    }
}
