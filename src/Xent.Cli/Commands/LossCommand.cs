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

    private static readonly string[] Kinds = ["cross-entropy", "nll", "bce", "bce-with-logits"];

    public static Command Create()
    {
        var kind = new Argument<string>("KIND") { Description = "The loss: cross-entropy | nll | bce | bce-with-logits." };
        var input = new Option<string>("--input") { HelpName = "X.npy", Description = "Input .npy: logits (cross-entropy, bce-with-logits), log-probabilities (nll) or probabilities (bce). float32, or float64 (converted)." };
        var target = new Option<string>("--target") { HelpName = "T.npy", Description = "Target .npy: int64/int32 class indices, or float class probabilities / binary targets." };
        var weight = new Option<string>("--weight") { HelpName = "W.npy", Description = "Optional weight .npy: (C) per class for cross-entropy and nll; broadcast to the input for bce." };
        var posWeight = new Option<string>("--pos-weight") { HelpName = "P.npy", Description = "Optional positive-class weight .npy for bce-with-logits, broadcast along the last dim." };
        var ignoreIndex = new Option<string>("--ignore-index") { HelpName = "N", Description = "Target value to ignore (cross-entropy, nll). Default: -100." };
        var reduction = new Option<string>("--reduction") { HelpName = "mean|sum|none", Description = "mean (default) | sum | none." };
        var smoothing = new Option<string>("--label-smoothing") { HelpName = "S", Description = "Label smoothing in [0, 1] (cross-entropy). Default: 0." };
        var output = new Option<string>("--out") { HelpName = "LOSS.npy", Description = "Write the loss as float32 .npy (0-d for mean and sum)." };
        var gradOut = new Option<string>("--grad-out") { HelpName = "GRAD.npy", Description = "Write d(sum of the loss)/d(input) as float32 .npy of the input's shape." };

        var command = new Command("loss", "Compute a loss exactly as PyTorch does, from .npy files.")
        {
            kind, input, target, weight, posWeight, ignoreIndex, reduction, smoothing, output, gradOut,
        };
        // Every value is read as text and checked here, so that a bad argument is one line and exit code 2.
        command.Action = new LossAction(pr => Run(
            pr.GetValue(kind), pr.GetValue(input), pr.GetValue(target), pr.GetValue(weight), pr.GetValue(posWeight),
            pr.GetValue(ignoreIndex), pr.GetValue(reduction), pr.GetValue(smoothing), pr.GetValue(output), pr.GetValue(gradOut)));
        return command;
    }

    /// <summary>Runs the command, turning parse errors into one line and exit code 2 instead of the default help dump.</summary>
    private sealed class LossAction(Func<ParseResult, int> run) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            if (parseResult.Errors.Count > 0) return Fail(parseResult.Errors[0].Message);
            // ClearsParseErrors also clears the "unrecognized" errors: report those here.
            if (parseResult.UnmatchedTokens.Count > 0) return Fail($"unrecognized argument '{parseResult.UnmatchedTokens[0]}'.");
            return run(parseResult);
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine("error: " + CliHost.Clean(message)); // robustness (issue 13): every command's error line starts "error:"
        return UsageError;
    }

    private static int Run(string? kind, string? inputPath, string? targetPath, string? weightPath, string? posWeightPath,
        string? ignoreText, string? reductionText, string? smoothingText, string? outPath, string? gradOutPath)
    {
        try
        {
            if (string.IsNullOrEmpty(kind) || Array.IndexOf(Kinds, kind) < 0)
                return Fail($"unknown loss '{kind}'; expected one of: {string.Join(", ", Kinds)}.");
            if (string.IsNullOrEmpty(inputPath)) return Fail("--input X.npy is required.");
            if (string.IsNullOrEmpty(targetPath)) return Fail("--target T.npy is required.");
            var reduction = (reductionText ?? "mean") switch
            {
                "mean" => Reduction.Mean,
                "sum" => Reduction.Sum,
                "none" => Reduction.None,
                var r => throw new UsageException($"--reduction must be mean, sum or none, got '{r}'."),
            };
            long ignoreIndex = ignoreText is null ? -100 : long.TryParse(ignoreText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ii)
                ? ii : throw new UsageException($"--ignore-index must be an integer, got '{ignoreText}'.");
            float smoothing = smoothingText is null ? 0f : float.TryParse(smoothingText, NumberStyles.Float, CultureInfo.InvariantCulture, out var ls)
                ? ls : throw new UsageException($"--label-smoothing must be a number in [0, 1], got '{smoothingText}'.");
            bool classLoss = kind is "cross-entropy" or "nll";
            if (!classLoss && ignoreText is not null) return Fail($"--ignore-index applies to cross-entropy and nll, not {kind}.");
            if (kind != "cross-entropy" && smoothingText is not null) return Fail($"--label-smoothing applies to cross-entropy only, not {kind}.");
            if (kind != "bce-with-logits" && posWeightPath is not null) return Fail($"--pos-weight applies to bce-with-logits only, not {kind}.");

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
                _ => F.BinaryCrossEntropyWithLogits(input, target, weight, reduction, posWeight),
            };
            Print(kind, reduction, loss);
            NpyArray? grad = null;
            if (gradOutPath is not null)
            {
                (reduction == Reduction.None ? loss.Sum() : loss).Backward();
                grad = new NpyArray(input.Grad!.ToArray(), input.Shape);
            }
            // robustness (issue 13): both files are written to temporary files, then committed together (NpyOutputs.cs).
            NpyOutputs.WriteTogether([(outPath, outPath is null ? null : new NpyArray(loss.ToArray(), loss.Shape)), (gradOutPath, grad)]);
            return 0;
        }
        catch (UsageException e) { return Fail(e.Message); }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or InvalidOperationException
            or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return Fail(OneLine(e is ArgumentException a && a.ParamName is { } p ? a.Message.Replace($" (Parameter '{p}')", "") : e.Message));
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
            throw new UsageException(Directory.Exists(path) ? $"{option}: '{path}' is a folder, not a file." : $"{option}: file '{path}' not found.");
        return Npy.Read(path);
    }

    /// <summary>A float32 tensor from a float32 or float64 .npy (the only float types a loss input may have).</summary>
    private static Tensor ReadFloat(string path, string option)
    {
        var a = Read(path, option);
        if (a.DType is not (NpyDType.Float32 or NpyDType.Float64))
            throw new UsageException($"{option}: '{path}' holds {a.DType.NumpyName()}; expected float32 or float64.");
        return Tensor.FromArray(a.ToFloat32(), a.Shape).Reshape(a.Shape);
    }

    /// <summary>Class indices (int64/int32 → int64) or float targets (float32/float64 → float32).</summary>
    private static Tensor ReadTarget(string path, Tensor input, string kind)
    {
        var a = Read(path, "--target");
        switch (a.DType)
        {
            case NpyDType.Int64 or NpyDType.Int32:
                if (kind is "bce" or "bce-with-logits")
                    throw new UsageException($"--target: '{path}' holds {a.DType.NumpyName()} class indices, but {kind} needs float targets (0/1 labels or probabilities) of the input's shape.");
                return Tensor.FromArray(a.ToInt64(), a.Shape).Reshape(a.Shape);
            case NpyDType.Float32 or NpyDType.Float64:
                if (kind == "nll" || (kind == "cross-entropy" && !a.Shape.AsSpan().SequenceEqual(input.Shape)))
                    throw new UsageException($"--target: '{path}' holds {a.DType.NumpyName()} values of shape {FormatShape(a.Shape)}; " +
                        $"class indices must be int64 or int32{(kind == "cross-entropy" ? " (float targets are class probabilities of the input's shape " + FormatShape(input.Shape) + ")" : "")}.");
                return Tensor.FromArray(a.ToFloat32(), a.Shape).Reshape(a.Shape);
            default:
                throw new UsageException($"--target: '{path}' holds {a.DType.NumpyName()}; expected int64 or int32 class indices, or float32/float64 targets.");
        }
    }

    /// <summary>numpy's shape text: <c>(2, 3)</c>, <c>(5,)</c>, <c>()</c>.</summary>
    private static string FormatShape(int[] shape) => NpyArray.FormatShape(shape);

    private static void Print(string kind, Reduction reduction, Tensor loss)
    {
        var inv = CultureInfo.InvariantCulture;
        if (reduction != Reduction.None)
        {
            Console.WriteLine($"{kind} ({reduction.ToString().ToLowerInvariant()}): {loss.Item().ToString("R", inv)}");
            return;
        }
        var values = loss.ToArray();
        int shown = Math.Min(values.Length, 10);
        var first = string.Join(", ", Enumerable.Range(0, shown).Select(i => values[i].ToString("R", inv)));
        Console.WriteLine($"{kind} (none): shape {FormatShape(loss.Shape)}, values [{first}{(values.Length > shown ? ", ..." : "")}]");
    }
}
