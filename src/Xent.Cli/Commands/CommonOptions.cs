using System.CommandLine;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>The options several commands declare alike, so that each is described the same way everywhere.</summary>
internal static class CommonOptions
{
    /// <summary><c>--checkpoint</c> (required): a checkpoint xent train wrote, or a PyTorch state dict.</summary>
    public static Option<string> Checkpoint() => PathOptions.Input(new Option<string>("--checkpoint")
    {
        Description = "Checkpoint (.safetensors) written by xent train, or a PyTorch state dict saved with safetensors",
        Required = true,
    });

    /// <summary><c>--data</c>: labelled data of any kind eval reads; <paramref name="what"/> starts the description.</summary>
    public static Option<string?> LabelledData(string what = "Labelled data") => PathOptions.Input(new Option<string?>("--data")
    {
        Description = $"{what}: an IDX folder (its t10k files), a .csv/.tsv file, image class folders, or a .npy file with --labels " +
            $"[default: {DataSource.DefaultDirectory}]",
    });

    /// <summary><c>--labels</c>: the labels of a .npy <c>--data</c>.</summary>
    public static Option<string?> Labels() =>
        PathOptions.Input(new Option<string?>("--labels") { Description = "Labels .npy for a .npy --data" });

    /// <summary><c>--target</c>: a CSV's label column.</summary>
    public static Option<string?> Target() =>
        new("--target") { Description = "CSV: the label column [default: the one the model was trained on]" };

    /// <summary><c>--model</c> for a command that reads a checkpoint (default: the checkpoint's own).</summary>
    public static Option<string?> CheckpointModel()
    {
        var model = new Option<string?>("--model")
        {
            Description = "Model: cnn, linear or mlp [default: the checkpoint's, or the model its tensor names fit]",
        };
        OptionChoices.AcceptOnly(model, [.. ModelCatalog.Names]);
        return model;
    }

    /// <summary><c>--test-batch-size</c> (default 1000).</summary>
    public static Option<int> TestBatchSize() => new("--test-batch-size") { Description = "Batch size", DefaultValueFactory = _ => 1000 };

    /// <summary><c>--threads</c>: <see cref="Kernels.KernelParallel.MaxThreads"/> (default: all cores).</summary>
    public static Option<int?> Threads() => new("--threads") { Description = "Threads the kernels may use [default: all cores]" };

    /// <summary>
    /// The refusal (without <c>error:</c>) of a <c>--threads</c> below 1 or above <see cref="Kernels.KernelParallel.ThreadLimit"/>
    /// (as <see cref="Tensor.SetNumThreads"/> refuses it), or null (also when it is left out).
    /// </summary>
    public static string? ThreadsError(int? threads) => threads switch
    {
        < 1 => $"--threads must be at least 1, got {threads}.",
        int t when t > Kernels.KernelParallel.ThreadLimit => $"--threads must be at most {Kernels.KernelParallel.ThreadLimit} (each " +
            $"one is a thread of its own; this machine has {Environment.ProcessorCount} cores), got {t}.",
        _ => null,
    };

    /// <summary>
    /// Sets <see cref="Kernels.KernelParallel.MaxThreads"/> to <paramref name="threads"/> (null or 0: leave all cores) and warns
    /// when that is more than this machine's cores: the results are the same (they never depend on the thread count), only
    /// slower, as the threads take turns.
    /// </summary>
    public static void UseThreads(int? threads)
    {
        if (threads is not (int t and > 0)) return;
        Kernels.KernelParallel.MaxThreads = t;
        if (t > Environment.ProcessorCount)
            Console.Error.WriteLine($"Warning: --threads {t} is more than the {Environment.ProcessorCount} cores here; the results " +
                "are the same, but the threads take turns, which is slower.");
    }
}
