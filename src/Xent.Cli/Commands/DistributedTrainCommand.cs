using System.CommandLine;
using System.CommandLine.Invocation;
using System.Runtime.ExceptionServices;
using Xent.Data;
using Xent.Distributed;
using Xent.NN;
using Xent.Training;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>mpiexec -n P xent train --distributed …</c>: data-parallel training (see docs/DISTRIBUTED.md). Adds
/// <c>--distributed</c> to the <c>train</c> command; with it, MPI is initialised, every rank runs the ordinary train
/// command with <see cref="Current"/> set (which the command asks for its batches and its trainer's gradient hook),
/// ranks other than 0 print and write nothing, and a rank that fails alone stops the whole job.
/// </summary>
internal static class DistributedTrainCommand
{
    /// <summary>The data-parallel run this process takes part in, or null without <c>--distributed</c>.</summary>
    public static DistributedTraining? Current { get; private set; }

    /// <summary>Adds <c>--distributed</c> to <paramref name="train"/>, wrapping its action.</summary>
    public static void Extend(Command train)
    {
        var distributed = new Option<bool>("--distributed")
        {
            Description = "Data-parallel training under mpiexec: --batch-size is per rank (global batch = ranks × it); "
                + "rank 0 logs and writes",
        };
        train.Options.Add(distributed);
        var single = train.Action as SynchronousCommandLineAction
            ?? throw new InvalidOperationException("train has no synchronous action.");
        train.SetAction(parse => parse.GetValue(distributed) ? Run(parse, single)
            : DistributedCommands.JobSize > 1 ? NotDistributed(parse)
            : single.Invoke(parse));
    }

    /// <summary>
    /// <c>mpiexec -n P xent train</c> without <c>--distributed</c> would run P whole trainings that race for one --out:
    /// refused, in step with the other ranks.
    /// </summary>
    private static int NotDistributed(ParseResult parse) =>
        DistributedCommands.FailBeforeMpi(parse.Tokens.Select(t => t.Value).ToArray(),
            $"error: this process is one of {DistributedCommands.JobSize} started by mpiexec, but without --distributed; add "
            + "--distributed to every rank to train together, or run one process.", ExitCodes.BadInput);

    private static int Run(ParseResult parse, SynchronousCommandLineAction single)
    {
        MpiWorld world;
        try
        {
            world = MpiWorld.Initialize();
        }
        catch (Exception e) when (e is NotSupportedException or DllNotFoundException or EntryPointNotFoundException)
        {
            Console.Error.WriteLine("error: --distributed needs MPI: " + e.Message);
            return 2;
        }

        var (stdout, stderr) = (Console.Out, Console.Error);
        // Rank 0's stderr stays live; the others' is kept for the one line printed if that rank fails alone.
        var captured = new ErrorLineWriter(world.IsRoot ? stderr : TextWriter.Null);
        Console.SetError(captured);
        if (!world.IsRoot) Console.SetOut(TextWriter.Null);
        Current = new DistributedTraining(world);
        int code;
        ExceptionDispatchInfo? failure = null;
        try
        {
            code = single.Invoke(parse);
        }
        catch (Exception e)
        {
            failure = ExceptionDispatchInfo.Capture(e);
            code = CliHost.Classify(e).Code; // what the one process would exit with: 2 for bad arguments or an unwritable --out
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
            Current = null;
        }

        // A failure on every rank (bad arguments, missing data) is agreed on at once; a rank that failed alone finds the
        // others blocked in a collective it left, and takes the job down instead of letting it hang.
        int? agreed = world.AgreeOnExitCode(code, code == 0 ? null : DistributedCommands.FailureGrace);
        if (agreed is null)
        {
            // Rank 0 has already printed its error line, if it had one; say which rank stopped the job otherwise.
            if (!(world.IsRoot && failure is null && captured.FirstLine is not null))
            {
                // Worded as the one process's line ("cannot write …", not AtomicFileWriter's "Cannot write …"; qa-s18-mpi L3).
                string why = (failure is null ? null : CliHost.Classify(failure.SourceException).Message)
                    ?? captured.FirstLine ?? $"exit code {code}";
                if (why.StartsWith("error: ", StringComparison.Ordinal)) why = why["error: ".Length..];
                stderr.WriteLine($"error: rank {world.Rank} of {world.Size} failed, stopping the job: {why}");
            }
            world.Abort(code);
        }
        if (world.IsRoot && failure is null && code == 0 && agreed != 0)
            stderr.WriteLine($"error: another rank failed (exit code {agreed}).");
        world.Dispose();
        if (world.IsRoot) failure?.Throw(); // the ordinary error path reports it once
        return agreed!.Value;
    }

    /// <summary>Passes everything to <paramref name="inner"/> and keeps the first line that is not a warning.</summary>
    private sealed class ErrorLineWriter(TextWriter inner) : TextWriter
    {
        private readonly System.Text.StringBuilder _line = new();

        public string? FirstLine { get; private set; }

        public override System.Text.Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            inner.Write(value);
            if (FirstLine is not null) return;
            if (value != '\n') _line.Append(value);
            else
            {
                string line = _line.ToString().Trim();
                _line.Clear();
                if (line.Length > 0 && !line.StartsWith("Warning:", StringComparison.Ordinal)) FirstLine = line;
            }
        }

        public override void Flush() => inner.Flush();
    }
}

/// <summary>What the train command asks of a data-parallel run: the rank's batches, the trainer hook, who writes.</summary>
internal sealed class DistributedTraining(MpiWorld world)
{
    /// <summary>Number of ranks; the global batch is this many per-rank batches.</summary>
    public int Size => world.Size;

    /// <summary>Whether this rank logs and writes the checkpoint, metrics and report.</summary>
    public bool IsRoot => world.IsRoot;

    /// <summary>Ends the whole job at once with <paramref name="exitCode"/> (<c>MPI_Abort</c>), which mpiexec returns.</summary>
    public void Abort(int exitCode) => world.Abort(exitCode);

    /// <summary>Global batches per epoch (<see cref="ShardedBatches.GlobalBatchCount"/>).</summary>
    public int GlobalBatchCount(int count, int perRankBatch) => ShardedBatches.GlobalBatchCount(count, perRankBatch, world.Size);

    /// <summary>
    /// Runs <paramref name="step"/>, which only rank 0 can fail (it alone claims and writes the run folder), and tells every rank
    /// whether it did. A refusal there (an input error: a folder in use, holding a run, not writable) is rethrown on rank 0, whose
    /// error line the job prints, and is false on the others, which exit with the same code without a word: the job ends as for
    /// a failure every rank meets, not with "rank 0 of P failed, stopping the job" and MPI_Abort after a 5 s wait.
    /// </summary>
    /// <returns>Whether rank 0 succeeded (on rank 0 always true: its refusal is thrown).</returns>
    public bool AfterRankZero(Action step)
    {
        ExceptionDispatchInfo? refused = null;
        try
        {
            step();
        }
        catch (Exception e) when (IsRoot && CliHost.Classify(e).Code == ExitCodes.BadInput)
        {
            refused = ExceptionDispatchInfo.Capture(e);
        }
        var (_, max) = world.AllReduceMinMax([refused is null ? 0 : 1]);
        refused?.Throw();
        return max[0] == 0;
    }

    /// <summary>
    /// Samples each epoch leaves out: the last of its shuffled order when they are fewer than the ranks, a global batch that
    /// <see cref="ShardedBatches"/> skips (some rank would have nothing to compute); 0 when the last global batch is trained.
    /// </summary>
    public int SkippedPerEpoch(int count, int perRankBatch)
    {
        int rest = (int)(count % ((long)perRankBatch * world.Size));
        return rest < world.Size ? rest : 0;
    }

    /// <summary>Epoch batches of this rank: its slice of each global batch of the shuffled order drawn from <paramref
    /// name="seed"/>.</summary>
    public IEnumerable<(Tensor Input, Tensor Target)> Batches(IDataset train, int perRankBatch, long seed) =>
        ShardedBatches.Epoch(train, perRankBatch, world.Rank, world.Size, shuffle: true, seed);

    /// <summary>
    /// Compares what every rank read and was told before anything is trained: the sample counts, <paramref name="spec"/> (the model
    /// and input, the class names, the training split's feature statistics), the held-out samples, the training labels and the
    /// training features in order, and <paramref name="options"/> (the settings that decide how many batches, evaluations and
    /// epochs each rank runs, and what it computes). Ranks that differ would train on mismatched batches, or leave the others
    /// waiting for ever in a collective they never reach; this says what differs, on every rank.
    /// </summary>
    /// <param name="options">(option, value) pairs, the same options in the same order on every rank.</param>
    /// <returns>Null when every rank agrees; otherwise the error message.</returns>
    public string? Mismatch(IDataset train, IDataset test, ModelSpec spec, IReadOnlyList<(string Option, string Value)> options)
    {
        var m = spec.ToMetadata();
        string Part(params string[] keys) => string.Join("\n", keys.Select(k => m.GetValueOrDefault(ModelSpec.Prefix + k, "")));
        string[] what =
        [
            "training samples", "held-out samples", "model and input", "classes", "feature statistics (the values)", "held-out data",
            "training labels (or their order)", "training features (the values, or the rows' order)",
        ];
        int[] data =
        [
            train.Count, test.Count,
            StableHash(Part("model", "input_kind", "input_shape", "hidden", "multi_label", "feature_names", "target_column",
                "impute_missing")),
            StableHash(Part("class_names")), StableHash(Part("mean", "std")),
            ContentHash(test, labels: !spec.MultiLabel, values: true), ContentHash(train, labels: !spec.MultiLabel, values: false),
            // Rows swapped within a class, or values edited, leave the counts, statistics and labels equal.
            ContentHash(train, labels: false, values: true),
        ];
        var (min, max) = world.AllReduceMinMax([.. data, .. options.Select(o => StableHash(o.Value))]);
        var dataDiffer = Enumerable.Range(0, what.Length).Where(i => min[i] != max[i])
            .Select(i => i < 2 ? $"{what[i]}: {min[i]} on one rank, {max[i]} on another" : what[i]).ToList();
        var optionsDiffer = Enumerable.Range(0, options.Count).Where(i => min[what.Length + i] != max[what.Length + i])
            .Select(i => options[i].Option).ToList();
        if (optionsDiffer.Count > 0)
            return $"the ranks were started with different options ({string.Join(", ", optionsDiffer)})"
                + $"{(dataDiffer.Count > 0 ? ", and so read different data" : "")}. Start every rank with the same options.";
        return dataDiffer.Count == 0 ? null
            : $"the ranks read different data ({string.Join("; ", dataDiffer)}). Give every rank the same --data (and --test-data), "
                + "e.g. on a shared file system.";
    }

    /// <summary>FNV-1a over UTF-16 code units: the same on every rank and run (string.GetHashCode is randomised per process).</summary>
    private static int StableHash(string text)
    {
        uint h = 2166136261;
        foreach (char c in text) h = (h ^ c) * 16777619;
        return (int)h;
    }

    /// <summary>
    /// A hash of <paramref name="data"/>'s labels and (or) input values in order: equal on every rank for the same data. The values
    /// are the raw ones, before standardisation: the held-out set is standardised with the training split's statistics, so an
    /// edited training value also changed its standardised values, and the ranks' held-out data was said to differ (qa-s19-a L4).
    /// </summary>
    private static int ContentHash(IDataset data, bool labels, bool values)
    {
        ulong h = 14695981039346656037;
        var sample = new float[values ? DatasetChecks.SampleSize(data.SampleShape) : 0];
        for (int i = 0; i < data.Count; i++)
        {
            if (labels) h = (h ^ (ulong)data.Target(i)) * 1099511628211;
            if (!values) continue;
            if (data is ArrayDataset raw) raw.CopyRaw(i, sample);
            else data.CopySample(i, sample); // another kind standardises with fixed statistics, if at all
            foreach (float v in sample) h = (h ^ BitConverter.SingleToUInt32Bits(v)) * 1099511628211;
        }
        return (int)(h ^ (h >> 32));
    }

    /// <summary>Averages <paramref name="model"/>'s gradients over the ranks after every backward pass of <paramref
    /// name="trainer"/>.</summary>
    public void Attach(Trainer trainer, Module model, Tensor? classWeight) =>
        new DataParallel(world, model.Parameters(), classWeight).Attach(trainer);
}
