using System.Globalization;
using System.CommandLine;
using Xent.Cli.Bench;
using Xent.Kernels;
using static Xent.Cli.Bench.BenchOutput;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>xent bench</c>: times the work PyTorch is compared against (bench/compare-pytorch runs bench/pytorch_bench.py on the
/// same problems). Subcommands <c>ce</c>, <c>train</c>, <c>eval</c>, <c>linear</c>, <c>gemm</c>, <c>peak</c> and <c>linear-ce</c>;
/// each prints the median (min, max) over timed repeats after untimed warmup runs, or one JSON object with <c>--json</c>.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var bench =
            new Command("bench",
            "Time Xent on the problems bench/compare-pytorch compares with PyTorch (median over repeats after warmup).");
        bench.Subcommands.Add(Ce());
        bench.Subcommands.Add(Train());
        bench.Subcommands.Add(Eval());
        bench.Subcommands.Add(Linear());
        bench.Subcommands.Add(GemmCommand());
        bench.Subcommands.Add(Peak());
        bench.Subcommands.Add(BenchLinearCeCommand.Create());
        return bench;
    }

    /// <summary>The options every subcommand shares.</summary>
    private sealed class Common
    {
        public Option<int> Repeats { get; }
        public Option<int> Warmup { get; }
        // No DefaultValueFactory: null when absent, and the help shows the one default the description names.
        public Option<int?> Threads { get; } = new("--threads")
            { Description = "Kernel threads, KernelParallel.MaxThreads [default: all cores]" };
        public Option<bool> Json { get; } = new("--json") { Description = "Print exactly one JSON object on stdout" };

        public Common(int repeats, int warmup, string repeatsName = "--repeats", params string[] aliases)
        {
            Repeats = new Option<int>(repeatsName, aliases)
                { Description = "Timed repeats (the median is reported)", DefaultValueFactory = _ => repeats };
            Warmup = new Option<int>("--warmup") { Description = "Untimed runs first", DefaultValueFactory = _ => warmup };
        }

        public void AddTo(Command c)
        {
            c.Options.Add(Repeats);
            c.Options.Add(Warmup);
            c.Options.Add(Threads);
            c.Options.Add(Json);
        }

        /// <summary>Validates the shared options and applies --threads; returns an error message or null.</summary>
        public string? Apply(ParseResult pr)
        {
            if (pr.GetValue(Repeats) < 1) return "--repeats must be at least 1.";
            if (pr.GetValue(Warmup) < 0) return "--warmup must not be negative.";
            // 0 is refused as train's --threads 0 is; leaving the option out means all cores.
            if (CommonOptions.ThreadsError(pr.GetValue(Threads)) is { } threadsError) return threadsError;
            CommonOptions.UseThreads(pr.GetValue(Threads));
            return null;
        }
    }

    /// <summary>A refusal: <c>error: …</c> as every command's (it was <c>xent bench ce: error: …</c>).</summary>
    private static int Fail(string message) => CliHost.Fail(message);

    private static Command Ce()
    {
        var n = new Option<int>("--n") { Description = "Rows (batch) N", DefaultValueFactory = _ => 1024 };
        var c = new Option<int>("--c") { Description = "Classes C", DefaultValueFactory = _ => 32000 };
        var copy = new Option<bool>("--copy") { Description = "Also time a plain Span.CopyTo of the logits' bytes (copy_median_ms)" };
        var common = new Common(repeats: 9, warmup: 2);
        var cmd =
            new Command("ce",
            "Cross-entropy forward+backward ('mean', class indices) through F.CrossEntropy with a requires-grad input, and the fused " +
            "kernel alone.") { n, c, copy };
        common.AddTo(cmd);
        cmd.SetAction(pr =>
        {
            if (common.Apply(pr) is string e) return Fail(e);
            int rows = pr.GetValue(n), classes = pr.GetValue(c);
            if (rows < 1 || classes < 1 || (long)rows * classes > Array.MaxLength)
                return Fail("--n and --c must be positive and N·C at most 2^31 - 1.");
            var r = CeBench.Run(rows, classes, pr.GetValue(common.Warmup), pr.GetValue(common.Repeats), pr.GetValue(copy));
            double mib = (double)rows * classes * sizeof(float) / (1 << 20);
            var fields = new List<(string, object?)>
            {
                ("n", rows), ("c", classes), ("logits_mib", mib), ("loss", r.Loss),
                ("kernel_median_ms", r.Kernel.MedianMs), ("kernel_min_ms", r.Kernel.MinMs), ("kernel_max_ms", r.Kernel.MaxMs),
            };
            string human =
                string.Create(CultureInfo.InvariantCulture,
                    $"N={rows} C={classes} ({mib:F1} MiB of logits), loss {r.Loss:F6}; fused kernel alone {r.Kernel.MedianMs:F3} ms (min " +
                    $"{r.Kernel.MinMs:F3}, max {r.Kernel.MaxMs:F3})");
            if (r.Copy is BenchStats cs)
            {
                fields.Add(("copy_median_ms", cs.MedianMs));
                fields.Add(("copy_min_ms", cs.MinMs));
                fields.Add(("copy_max_ms", cs.MaxMs));
                human +=
                    Fmt($"; copy of the same bytes {cs.MedianMs:F3} ms (F.CrossEntropy = {r.Functional.MedianMs / cs.MedianMs:F2}x copy)");
            }
            Write(pr.GetValue(common.Json), "ce", r.Functional, fields, human);
            return 0;
        });
        return cmd;
    }

    private static Command Train()
    {
        var common = new Common(repeats: 20, warmup: 3, "--batches", "--repeats");
        var cmd =
            new Command("train",
            "One training step of the PyTorch MNIST tutorial's CNN per batch (64 random images, CrossEntropyLoss, Adam lr 1e-3): ms per " +
            "batch, samples/s, bytes allocated per batch.");
        common.AddTo(cmd);
        cmd.SetAction(pr =>
        {
            if (common.Apply(pr) is string e) return Fail(e.Replace("--repeats", "--batches"));
            var r = TrainBench.Run(pr.GetValue(common.Warmup), pr.GetValue(common.Repeats));
            var a = r.Allocation;
            Write(pr.GetValue(common.Json), "train", r.Stats,
            [
                ("model", "cnn"), ("batch_size", r.BatchSize), ("optimizer", "adam"), ("lr", 1e-3), ("samples_per_s", r.SamplesPerS),
                ("alloc_bytes_per_batch", a.BytesPerBatch), ("alloc_min_bytes_per_batch", a.MinBytesPerBatch),
                    ("alloc_forward_bytes", a.ForwardBytes),
                    ("alloc_backward_bytes", a.BackwardBytes),
                ("alloc_step_bytes", a.StepBytes), ("gc_gen0", a.Gen0), ("gc_gen1", a.Gen1), ("gc_gen2", a.Gen2),
                    ("gc_pause_ms_per_batch", a.GcPauseMsPerBatch), ("loss", r.LastLoss),
            ],
            string.Create(CultureInfo.InvariantCulture,
            $"per batch of {r.BatchSize}: {r.SamplesPerS:F0} samples/s; allocates {a.BytesPerBatch / 1048576.0:F2} MiB per batch " +
            $"(forward+loss {a.ForwardBytes / 1048576.0:F2}, backward {a.BackwardBytes / 1048576.0:F2}, step " +
            $"{a.StepBytes / 1048576.0:F3}); GC paused {a.GcPauseMsPerBatch:F2} ms per batch ({a.Gen0}/{a.Gen1}/{a.Gen2} gen0/1/2 GCs in " +
            $"10 batches)"));
            return 0;
        });
        return cmd;
    }

    private static Command Eval()
    {
        var images = new Option<int>("--images") { Description = "Random 28×28 images", DefaultValueFactory = _ => 10000 };
        var batch = new Option<int>("--batch-size") { Description = "Images per forward pass", DefaultValueFactory = _ => 1000 };
        var common = new Common(repeats: 3, warmup: 1);
        var cmd =
            new Command("eval",
            "The PyTorch MNIST tutorial's CNN in eval mode under NoGrad over 10,000 random images in batches of 1000: total ms, samples/s.")
            { images, batch };
        common.AddTo(cmd);
        cmd.SetAction(pr =>
        {
            if (common.Apply(pr) is string e) return Fail(e);
            if (pr.GetValue(images) < 1 || pr.GetValue(batch) < 1) return Fail("--images and --batch-size must be at least 1.");
            var r = EvalBench.Run(pr.GetValue(images), pr.GetValue(batch), pr.GetValue(common.Warmup), pr.GetValue(common.Repeats));
            Write(pr.GetValue(common.Json), "eval", r.Stats,
                [("model", "cnn"), ("images", r.Images), ("batch_size", r.BatchSize), ("samples_per_s", r.SamplesPerS)],
                Fmt($"{r.Images} images in batches of {r.BatchSize}: {r.SamplesPerS:F0} samples/s"));
            return 0;
        });
        return cmd;
    }

    private static Command Linear()
    {
        var common = new Common(repeats: 200, warmup: 20);
        var cmd =
            new Command("linear",
            "One SGD step (lr 0.01) of the PyTorch tutorial's SimpleModel (Linear 784→10, CrossEntropyLoss) on a batch of 100.");
        common.AddTo(cmd);
        cmd.SetAction(pr =>
        {
            if (common.Apply(pr) is string e) return Fail(e);
            var r = LinearBench.Run(pr.GetValue(common.Warmup), pr.GetValue(common.Repeats));
            Write(pr.GetValue(common.Json), "linear", r.Stats,
                [("model", "linear"), ("batch_size", r.BatchSize), ("optimizer", "sgd"), ("lr", 0.01), ("loss", r.LastLoss)],
                Fmt($"batch of {r.BatchSize}: {r.Stats.MedianMs * 1000:F1} µs per step"));
            return 0;
        });
        return cmd;
    }

    private static Command GemmCommand()
    {
        var size = new Option<int>("--size") { Description = "Matrix size S (C = A·B, all S×S)", DefaultValueFactory = _ => 1024 };
        var panel = new Option<int>("--panel-columns")
        {
            Description = "Most columns of a packed B panel (0: this CPU type's default, 1024 on Intel and 2048 elsewhere; the same " +
                "results either way, to measure that choice)",
            DefaultValueFactory = _ => 0,
        };
        var common = new Common(repeats: 5, warmup: 2);
        var cmd = new Command("gemm", "Square SGEMM S³ (Gemm.Sgemm): median ms and GFLOP/s.") { size, panel };
        common.AddTo(cmd);
        cmd.SetAction(pr =>
        {
            if (common.Apply(pr) is string e) return Fail(e);
            int s = pr.GetValue(size);
            if (s < 1 || (long)s * s > Array.MaxLength) return Fail("--size must be positive and S² at most 2^31 - 1.");
            int columns = pr.GetValue(panel);
            if (columns < 0 || columns % 32 != 0) return Fail("--panel-columns must be 0 or a positive multiple of 32.");
            int defaultColumns = Gemm.NC;
            if (columns > 0) Gemm.NC = columns;
            try
            {
                var r = GemmBench.Run(s, pr.GetValue(common.Warmup), pr.GetValue(common.Repeats));
                Write(pr.GetValue(common.Json), "gemm", r.Stats, [("size", r.Size), ("gflops", r.Gflops), ("panel_columns", Gemm.NC)],
                    Fmt($"{r.Size}³: {r.Gflops:F1} GFLOP/s"));
            }
            finally
            {
                Gemm.NC = defaultColumns; // the process's products (in-process tests) keep the CPU type's width
            }
            return 0;
        });
        return cmd;
    }

    private static Command Peak()
    {
        var common = new Common(repeats: 5, warmup: 1);
        var cmd = new Command("peak",
            "The machine's float32 FMA peak: on every thread at once, 40 million iterations of 12 independent register-only fused "
            + "multiply-adds at the GEMM's vector width (the ceiling for the GFLOP/s of 'gemm', 'train' and 'linear-ce').");
        common.AddTo(cmd);
        cmd.SetAction(pr =>
        {
            if (common.Apply(pr) is string e) return Fail(e);
            var r = PeakBench.Run(KernelParallel.MaxThreads, pr.GetValue(common.Warmup), pr.GetValue(common.Repeats));
            Write(pr.GetValue(common.Json), "peak", r.Stats,
                [("vector_bits", r.VectorBits), ("flop", r.Flop), ("gflops", r.Gflops), ("gflops_per_thread", r.GflopsPerThread)],
                Fmt($"{r.VectorBits}-bit FMA: {r.Gflops:F1} GFLOP/s ({r.GflopsPerThread:F1} per thread)"));
            return 0;
        });
        return cmd;
    }
}
