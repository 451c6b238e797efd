using System.CommandLine;
using System.CommandLine.Invocation;
using System.Globalization;
using Xent.IO;

namespace Xent.Cli.Commands;

/// <summary>
/// <c>xent loss KIND --input X.npy --target T.npy [options]</c>: one PyTorch loss on arrays from .npy files.
/// Prints the loss, and optionally writes it (<c>--out</c>) and d(sum of the loss)/d(input) (<c>--grad-out</c>)
/// as float32 .npy. Any bad file or argument gives one line on stderr and exit code 2.
/// </summary>
internal static class LossCommand
{
    /// <summary>Exit code of a usage or input error.</summary>
    public const int UsageError = 2;

    private static readonly string[] Kinds =
        ["cross-entropy", "nll", "bce", "bce-with-logits", "focal", "sigmoid-focal", "kl-div", "distillation"];

    /// <summary>Kinds whose target is float values of the input's shape (never class indices).</summary>
    private static bool FloatTargetKind(string kind) => kind is "bce" or "bce-with-logits" or "sigmoid-focal" or "kl-div" or "distillation";

    public static Command Create()
    {
        var kind = new Argument<string>("KIND")
            { Description = "The loss: cross-entropy | nll | bce | bce-with-logits | focal | sigmoid-focal | kl-div | distillation." };
        var input = PathOptions.Input(new Option<string>("--input")
            { HelpName = "X.npy",
            Description =
            "Input .npy: logits (cross-entropy, bce-with-logits, focal, sigmoid-focal; the student's for distillation), " +
            "log-probabilities (nll, kl-div) or probabilities (bce). float32 (float64 and float16 are converted). Every .npy " +
            "must be little-endian (a big-endian '>f4' file is refused)." });
        var target = PathOptions.Input(new Option<string>("--target")
            { HelpName = "T.npy",
            Description =
            "Target .npy: integer class indices (int64, int32, uint8, …), or float class probabilities / binary targets (kl-div: " +
            "probabilities, or log-probabilities with --log-target; distillation: the teacher's logits)." });
        var weight = PathOptions.Input(new Option<string>("--weight")
            { HelpName = "W.npy",
            Description = "Optional weight .npy: (C) per class for cross-entropy, nll and focal; broadcast to the input for bce." });
        var posWeight = PathOptions.Input(new Option<string>("--pos-weight")
            { HelpName = "P.npy", Description = "Optional positive-class weight .npy for bce-with-logits, broadcast along the last dim." });
        var ignoreIndex = new Option<string>("--ignore-index")
            { HelpName = "N", Description = "Target value to ignore (cross-entropy, nll, focal). Default: -100." };
        var reduction = new Option<string>("--reduction")
            { HelpName = "mean|sum|none|batchmean",
            Description = "mean (default) | sum | none; kl-div also batchmean; sigmoid-focal defaults to none, as torchvision's " +
                "sigmoid_focal_loss; distillation is always batchmean." };
        var gamma = new Option<string>("--gamma")
            { HelpName = "G", Description = "Focusing exponent >= 0 (focal, sigmoid-focal). Default: 2." };
        var alpha = new Option<string>("--alpha")
            { HelpName = "A", Description = "Positive-class weight of sigmoid-focal; negative disables it. Default: 0.25." };
        var logTarget = new Option<bool>("--log-target") { Description = "kl-div: the target holds log-probabilities." };
        var temperature = new Option<string>("--temperature")
            { HelpName = "T", Description = "Softmax temperature > 0 of distillation (required)." };
        var smoothing = new Option<string>("--label-smoothing")
            { HelpName = "S", Description = "Label smoothing in [0, 1] (cross-entropy). Default: 0." };
        var output = PathOptions.OutputFile(new Option<string>("--out")
            { HelpName = "LOSS.npy", Description = "Write the loss as float32 .npy (0-d for mean and sum)." }, "loss.npy");
        var gradOut = PathOptions.OutputFile(new Option<string>("--grad-out")
            { HelpName = "GRAD.npy", Description = "Write d(sum of the loss)/d(input) as float32 .npy of the input's shape." },
            "grad.npy");

        var command = new Command("loss", "Compute a loss exactly as PyTorch does, from .npy files.")
        {
            kind, input, target, weight, posWeight, ignoreIndex, reduction, smoothing, output, gradOut, gamma, alpha, logTarget,
                temperature,
        };
        // Every value is read as text and checked here, so that a bad argument is one line and exit code 2.
        command.Action = new LossAction(pr => Run(
            pr.GetValue(kind), pr.GetValue(input), pr.GetValue(target), pr.GetValue(weight), pr.GetValue(posWeight),
            pr.GetValue(ignoreIndex), pr.GetValue(reduction), pr.GetValue(smoothing), pr.GetValue(output), pr.GetValue(gradOut),
            new ExtraOptions(pr.GetValue(gamma), pr.GetValue(alpha), pr.GetValue(logTarget), pr.GetValue(temperature))));
        return command;
    }

    /// <summary>Runs the command, turning parse errors into one line and exit code 2 instead of the default help dump.</summary>
    private sealed class LossAction(Func<ParseResult, int> run) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            if (parseResult.Errors.Count > 0) return CliHost.Fail(ParseErrorText.Friendly(parseResult.Errors[0].Message));
            // ClearsParseErrors also clears the "unrecognized" errors: report those here.
            if (parseResult.UnmatchedTokens.Count > 0) return CliHost.Fail($"unrecognized argument '{parseResult.UnmatchedTokens[0]}'.");
            return run(parseResult);
        }
    }

    private static int Run(string? kind, string? inputPath, string? targetPath, string? weightPath, string? posWeightPath,
        string? ignoreText, string? reductionText, string? smoothingText, string? outPath, string? gradOutPath, ExtraOptions extra)
    {
        using var interrupted = InterruptedWrites.Handle(); // Ctrl-C or SIGTERM mid-write leaves no temporary file
        using var stdoutOutput = OutputPaths.KeepStdoutFor(outPath, gradOutPath); // --out /dev/stdout: messages go to stderr
        try
        {
            // In any case, as every enumerated value (OptionChoices): CROSS-ENTROPY and MEAN are cross-entropy and mean.
            if (OptionChoices.Canonical(kind, Kinds) is not { } lossKind)
                return CliHost.Fail($"unknown loss '{kind}'; expected one of: {string.Join(", ", Kinds)}.");
            kind = lossKind;
            reductionText = OptionChoices.Canonical(reductionText, ["mean", "sum", "none", "batchmean"]) ?? reductionText;
            if (string.IsNullOrEmpty(inputPath)) return CliHost.Fail("--input X.npy is required.");
            if (string.IsNullOrEmpty(targetPath)) return CliHost.Fail("--target T.npy is required.");
            // Outputs never replace an input or each other (--out x.npy used to turn the input into the loss, silently).
            (string?, string)[] inputs = [(inputPath, "--input"), (targetPath, "--target"), (weightPath, "--weight"),
                (posWeightPath, "--pos-weight")];
            // A missing folder too: the outputs are written after the loss is printed, which a script would take for success.
            if (outPath is not null && (OutputPaths.Check(outPath, "--out", "loss.npy", inputs)
                    ?? OutputPaths.CheckFolderExists(outPath, "--out")) is { } outError)
                return CliHost.Fail(outError);
            if (gradOutPath is not null && (OutputPaths.Check(gradOutPath, "--grad-out", "grad.npy", [.. inputs, (outPath, "--out")])
                    ?? OutputPaths.CheckFolderExists(gradOutPath, "--grad-out")) is { } gradError)
                return CliHost.Fail(gradError);
            string reductionName = reductionText ?? kind switch { "distillation" => "batchmean", "sigmoid-focal" => "none", _ => "mean" };
            var reduction = reductionName switch
            {
                "mean" => Reduction.Mean,
                "sum" => Reduction.Sum,
                "none" => Reduction.None,
                "batchmean" when kind is "kl-div" or "distillation" => Reduction.Mean, // a mean (0-d), over the batch only
                var r => throw new UsageException(kind == "kl-div" ? $"--reduction must be mean, sum, none or batchmean, got '{r}'."
                    : $"--reduction must be mean, sum or none, got '{r}'."),
            };
            if (kind == "distillation" && reductionName != "batchmean")
                throw new UsageException("--reduction: distillation is always batchmean (T² times the KL divergence per sample), got " +
                    $"'{reductionName}'.");
            var (gamma, alpha, temperature) = extra.Parse(kind);
            long ignoreIndex = ignoreText is null ? -100
                : long.TryParse(ignoreText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ii)
                ? ii : throw new UsageException($"--ignore-index must be an integer, got '{ignoreText}'.");
            float smoothing = smoothingText is null ? 0f
                : float.TryParse(smoothingText, NumberStyles.Float, CultureInfo.InvariantCulture, out var ls)
                ? ls : throw new UsageException($"--label-smoothing must be a number in [0, 1], got '{smoothingText}'.");
            bool classLoss = kind is "cross-entropy" or "nll" or "focal";
            if (!classLoss && ignoreText is not null)
                return CliHost.Fail($"--ignore-index applies to cross-entropy, nll and focal, not {kind}.");
            if (weightPath is not null && kind is "sigmoid-focal" or "kl-div" or "distillation")
                return CliHost.Fail($"--weight does not apply to {kind}.");
            if (kind != "cross-entropy" && smoothingText is not null)
                return CliHost.Fail($"--label-smoothing applies to cross-entropy only, not {kind}.");
            if (kind != "bce-with-logits" && posWeightPath is not null)
                return CliHost.Fail($"--pos-weight applies to bce-with-logits only, not {kind}.");

            // Only track the gradient when it is asked for: the fused forward+backward pass costs more than the forward alone.
            var input = ReadFloat(inputPath, "--input").RequiresGrad_(gradOutPath is not null);
            var target = ReadTarget(targetPath, input, kind);
            var weight = weightPath is null ? null : ReadFloat(weightPath, "--weight");
            var posWeight = posWeightPath is null ? null : ReadFloat(posWeightPath, "--pos-weight");

            var loss = kind switch
            {
                "cross-entropy" => F.CrossEntropy(input, target, weight, ignoreIndex, reduction, smoothing),
                "nll" => F.NllLoss(input, target, weight, ignoreIndex, reduction),
                "bce" => F.BinaryCrossEntropy(input, target, weight, reduction),
                "focal" => F.FocalLoss(input, target, gamma, weight, ignoreIndex, reduction),
                "sigmoid-focal" => F.SigmoidFocalLoss(input, target, alpha, gamma, reduction),
                "kl-div" => F.KlDiv(input, target, KlDivReductionOf(reductionName), extra.LogTarget),
                "distillation" => F.DistillationLoss(input, target, temperature),
                _ => F.BinaryCrossEntropyWithLogits(input, target, weight, reduction, posWeight),
            };
            Print(kind, reductionName, loss);
            NpyArray? grad = null;
            if (gradOutPath is not null)
            {
                (reduction == Reduction.None ? loss.Sum() : loss).Backward();
                grad = new NpyArray(input.Grad!.FloatArray, input.Shape); // written as it is: no copy
            }
            // robustness (issue 13): both files are written to temporary files, then committed together (NpyOutputs.cs).
            NpyOutputs.WriteTogether([(outPath, outPath is null ? null : new NpyArray(loss.ToArray(), loss.Shape)), (gradOutPath, grad)]);
            return 0;
        }
        catch (UsageException e) { return CliHost.Fail(e.Message); }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or InvalidOperationException
            or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return CliHost.Fail(OneLine(CliHost.UserMessage(e)));
        }
    }

    private sealed class UsageException(string message) : Exception(message);

    private static string OneLine(string message)
    {
        int nl = message.IndexOf('\n');
        return (nl < 0 ? message : message[..nl]).TrimEnd();
    }

    private static NpyArray Read(string path, string option)
    {
        if (!File.Exists(path))
            throw new UsageException(Directory.Exists(path) ? $"{option}: '{path}' is a folder, not a file."
                : $"{option}: file '{path}' not found.");
        return Npy.Read(path);
    }

    /// <summary>A float32 tensor from a float32 or float64 .npy (float16 arrives widened to float32 by Npy.Read).</summary>
    private static Tensor ReadFloat(string path, string option)
    {
        var a = Read(path, option);
        if (a.DType is not (NpyDType.Float32 or NpyDType.Float64))
            throw new UsageException($"{option}: '{path}' holds {a.DType.NumpyName()}; expected float16, float32 or float64.");
        return new Tensor(ToFloat32InRange(a, path, option), [.. a.Shape]); // the array itself (FromArray copies): one copy, not two
    }

    /// <summary>
    /// The values as float32, refusing a float64 value beyond float32's range: the conversion would make it an infinity and the
    /// loss NaN or infinite, where PyTorch (computing in float64) gives a finite result. Infinities and NaN in the file stay, as
    /// PyTorch takes them; training's readers refuse every infinity instead (NpySource), since a model cannot learn from one.
    /// </summary>
    private static float[] ToFloat32InRange(NpyArray a, string path, string option)
    {
        long i = a.IndexBeyondFloat32();
        if (i >= 0)
            throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"{option}: '{path}' holds float64 value {a.Float64![i]:R} at flat index {i}, beyond float32's range " +
                $"(±{float.MaxValue:R}); xent computes in float32, so scale the values into that range."));
        return a.ToFloat32();
    }

    /// <summary>
    /// Class indices (any integer dtype: int64, int32, uint8 and those Npy.Read widens → int64) or float targets (→ float32).
    /// </summary>
    private static Tensor ReadTarget(string path, Tensor input, string kind)
    {
        var a = Read(path, "--target");
        switch (a.DType)
        {
            case NpyDType.Int64 or NpyDType.Int32 or NpyDType.UInt8: // uint8: MNIST's own label type
                if (FloatTargetKind(kind))
                    throw new UsageException($"--target: '{path}' holds {a.DType.NumpyName()} class indices, but {kind} needs float " +
                        $"targets ({FloatTargetText(kind)}) of the input's shape.");
                return new Tensor(a.ToInt64(), [.. a.Shape]);
            case NpyDType.Float32 or NpyDType.Float64:
                if (kind is "nll" or "focal" || (kind == "cross-entropy" && !a.Shape.AsSpan().SequenceEqual(input.Shape)))
                {
                    string probabilities = kind == "cross-entropy"
                        ? " (float targets are class probabilities of the input's shape " + FormatShape(input.Shape) + ")" : "";
                    throw new UsageException($"--target: '{path}' holds {a.DType.NumpyName()} values of shape {FormatShape(a.Shape)}; " +
                        $"class indices must be integers (int64, int32, uint8 or another integer dtype){probabilities}.");
                }
                return new Tensor(ToFloat32InRange(a, path, "--target"), [.. a.Shape]);
            default:
                throw new UsageException($"--target: '{path}' holds {a.DType.NumpyName()}; expected integer class indices, or " +
                    "float32/float64 targets.");
        }
    }

    private static string FloatTargetText(string kind) => kind switch
    {
        "kl-div" => "probabilities or log-probabilities",
        "distillation" => "the teacher's logits",
        _ => "0/1 labels or probabilities",
    };

    private static KlDivReduction KlDivReductionOf(string name) => name switch
    {
        "none" => KlDivReduction.None,
        "sum" => KlDivReduction.Sum,
        "batchmean" => KlDivReduction.BatchMean,
        _ => KlDivReduction.Mean,
    };

    /// <summary>The options of the focal, KL and distillation kinds, as typed; <see cref="Parse"/> checks them against the kind.</summary>
    private sealed record ExtraOptions(string? Gamma, string? Alpha, bool LogTarget, string? Temperature)
    {
        public (float Gamma, float Alpha, float Temperature) Parse(string kind)
        {
            if (Gamma is not null && kind is not ("focal" or "sigmoid-focal"))
                throw new UsageException($"--gamma applies to focal and sigmoid-focal, not {kind}.");
            if (Alpha is not null && kind != "sigmoid-focal")
                throw new UsageException($"--alpha applies to sigmoid-focal only, not {kind}.");
            if (LogTarget && kind != "kl-div") throw new UsageException($"--log-target applies to kl-div only, not {kind}.");
            if (Temperature is not null && kind != "distillation")
                throw new UsageException($"--temperature applies to distillation only, not {kind}.");
            if (Temperature is null && kind == "distillation") throw new UsageException("--temperature T is required for distillation.");
            // The same words whether .NET parses the text or not: 'inf' is not a number to it, 'Infinity' is but is refused below.
            float gamma = Number(Gamma, "--gamma", 2f, "a finite number >= 0");
            float alpha = Number(Alpha, "--alpha", 0.25f, "a number (negative disables the weighting)");
            float temperature = Number(Temperature, "--temperature", 1f, "a finite number > 0");
            if (!(gamma >= 0f) || !float.IsFinite(gamma)) throw new UsageException($"--gamma must be a finite number >= 0, got '{Gamma}'.");
            if (!(temperature > 0f) || !float.IsFinite(temperature))
                throw new UsageException($"--temperature must be a finite number > 0, got '{Temperature}'.");
            return (gamma, alpha, temperature);
        }

        private static float Number(string? text, string option, float fallback, string what) =>
            text is null ? fallback
            : float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && !float.IsNaN(v) ? v
            : throw new UsageException($"{option} must be {what}, got '{text}'.");
    }

    /// <summary>numpy's shape text: <c>(2, 3)</c>, <c>(5,)</c>, <c>()</c>.</summary>
    private static string FormatShape(int[] shape) => NpyArray.FormatShape(shape);

    private static void Print(string kind, string reduction, Tensor loss)
    {
        var inv = CultureInfo.InvariantCulture;
        if (reduction != "none")
        {
            Console.WriteLine($"{kind} ({reduction}): {loss.Item().ToString("R", inv)}");
            return;
        }
        var values = loss.ToArray();
        int shown = Math.Min(values.Length, 10);
        var first = string.Join(", ", Enumerable.Range(0, shown).Select(i => values[i].ToString("R", inv)));
        Console.WriteLine($"{kind} (none): shape {FormatShape(loss.Shape)}, values [{first}{(values.Length > shown ? ", ..." : "")}]");
    }
}
