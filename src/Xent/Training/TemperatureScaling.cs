using Xent.Kernels;
using Xent.NN;

namespace Xent.Training;

/// <summary>
/// Post-hoc calibration by temperature scaling (Guo et al., "On Calibration of Modern Neural Networks", 2017): one
/// temperature T &gt; 0 divides every logit, chosen to minimise the mean cross-entropy (negative log-likelihood) of
/// held-out data. Accuracy is unchanged (the arg-max is), while the probabilities of an over-confident network
/// (T &gt; 1) or an under-confident one (T &lt; 1) move toward the observed frequencies.
/// </summary>
/// <remarks>
/// <para>The NLL is convex in β = 1/T (a log-sum-exp of functions linear in β), so it has one minimum along s = log T,
/// which a golden-section search over T in [<see cref="MinTemperature"/>, <see cref="MaxTemperature"/>] finds to
/// <see cref="LogTemperatureTolerance"/> in log T (about 30 passes over the logits). A minimum outside that range is
/// returned as the nearer end (e.g. separable data whose NLL keeps falling as T → 0).</para>
/// <para>Everything is computed in float64 from the float32 logits; sums run over fixed chunks of rows in chunk order, so
/// results do not depend on the thread count.</para>
/// </remarks>
public static class TemperatureScaling
{
    /// <summary>Smallest temperature searched.</summary>
    public const double MinTemperature = 0.01;

    /// <summary>Largest temperature searched.</summary>
    public const double MaxTemperature = 100;

    /// <summary>Width in log T of the final bracket of the search: the fitted log T is within half of it of the minimiser.</summary>
    public const double LogTemperatureTolerance = 1e-5;

    private const int ChunkRows = 1024;

    /// <summary>
    /// Fits T on (N, C) <paramref name="logits"/> and their class indices, and reports NLL and ECE before (T = 1) and after.
    /// </summary>
    /// <param name="logits">(N, C) row-major logits of held-out samples.</param>
    /// <param name="targets">(N) class indices in [0, C).</param>
    /// <param name="classes">C.</param>
    /// <param name="bins">Equal-width confidence bins of the ECE (15, as Guo et al.).</param>
    /// <exception cref="ArgumentException">No samples, shapes disagree, a target is out of range, or a logit is not finite.</exception>
    public static TemperatureScalingResult Fit(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes,
        int bins = Metrics.DefaultCalibrationBins)
    {
        Check(logits, targets, classes);
        foreach (float v in logits)
            if (!float.IsFinite(v)) throw new ArgumentException("Temperature scaling needs finite logits (found NaN or infinity).",
                nameof(logits));
        // Golden-section search on s = log T: the bracket shrinks by 0.618 per NLL evaluation.
        double invPhi = (Math.Sqrt(5) - 1) / 2;
        double a = Math.Log(MinTemperature), b = Math.Log(MaxTemperature);
        double c = b - invPhi * (b - a), d = a + invPhi * (b - a);
        double fc = MeanNll(logits, targets, classes, Math.Exp(c)), fd = MeanNll(logits, targets, classes, Math.Exp(d));
        int evaluations = 2;
        while (b - a > LogTemperatureTolerance)
        {
            if (fc <= fd)
            {
                b = d; d = c; fd = fc;
                c = b - invPhi * (b - a);
                fc = MeanNll(logits, targets, classes, Math.Exp(c));
            }
            else
            {
                a = c; c = d; fc = fd;
                d = a + invPhi * (b - a);
                fd = MeanNll(logits, targets, classes, Math.Exp(d));
            }
            evaluations++;
        }
        double t = Math.Exp((a + b) / 2);
        return new TemperatureScalingResult(t,
            MeanNll(logits, targets, classes, 1), MeanNll(logits, targets, classes, t),
            ExpectedCalibrationError(logits, targets, classes, 1, bins), ExpectedCalibrationError(logits, targets, classes, t, bins),
            evaluations, targets.Length);
    }

    /// <summary>
    /// Runs <paramref name="model"/> in evaluation mode without autograd over labelled batches and returns its (N, C) logits
    /// and the (N) targets, the inputs of <see cref="Fit"/>. The model's training mode is restored afterwards.
    /// </summary>
    /// <exception cref="ArgumentException">The model's output is not (B, C) with the same C for every batch.</exception>
    public static (float[] Logits, long[] Targets, int Classes)
        CollectLogits(Module model, IEnumerable<(Tensor Input, Tensor Target)> batches)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batches);
        var logits = new List<float>();
        var targets = new List<long>();
        int classes = -1;
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            using var noGrad = Tensor.NoGrad();
            foreach (var (input, target) in batches)
            {
                var output = model.Forward(input);
                if (output.Rank != 2 || (classes >= 0 && output.Shape[1] != classes) || output.Shape[0] != target.NumEl)
                    throw new ArgumentException("Expected the model to output (B, C) logits for each batch, got " +
                        $"{Shapes.Format(output.ShapeSpan)}.", nameof(model));
                classes = output.Shape[1];
                logits.AddRange(output.ToArray());
                targets.AddRange(target.ToInt64Array());
            }
        }
        finally
        {
            model.Train(wasTraining);
        }
        return ([.. logits], [.. targets], Math.Max(classes, 0));
    }

    /// <summary>Mean over rows of −log softmax(x / T)[t] in float64.</summary>
    public static unsafe double MeanNll(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, double temperature)
    {
        Check(logits, targets, classes);
        if (!(temperature > 0) || !double.IsFinite(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be finite and positive.");
        int rows = targets.Length;
        var parts = new double[KernelParallel.ChunkCount(rows, ChunkRows)];
        double beta = 1 / temperature;
        fixed (float* px = logits)
        fixed (long* pt = targets)
        {
            PinnedSpan<float> x = new(px, logits.Length);
            PinnedSpan<long> t = new(pt, targets.Length);
            KernelParallel.ForChunks(rows, ChunkRows, classes, (chunk, r0, r1) => parts[chunk] = NllRows(r0, r1, x, t, classes, beta));
        }
        return PartialSums.SumInOrder(parts) / rows;
    }

    /// <summary>Σ over rows [r0, r1) of −log softmax(x·β)[t], in float64.</summary>
    private static double NllRows(int r0, int r1, ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, double beta)
    {
        double s = 0;
        for (int r = r0; r < r1; r++)
        {
            var x = logits.Slice(r * classes, classes);
            double m = double.NegativeInfinity;
            foreach (float v in x) m = Math.Max(m, v);
            double sum = 0;
            foreach (float v in x) sum += Math.Exp((v - m) * beta);
            s += Math.Log(sum) - (x[(int)targets[r]] - m) * beta;
        }
        return s;
    }

    /// <summary>
    /// Per row: the confidence max_c softmax(x / T)_c in float64, and whether the arg-max is the target (T does not change it).
    /// </summary>
    public static void Confidences(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, double temperature,
        Span<double> confidence, Span<bool> correct)
    {
        Check(logits, targets, classes);
        if (confidence.Length != targets.Length || correct.Length != targets.Length)
            throw new ArgumentException($"Expected {targets.Length} confidences and flags, got {confidence.Length} and {correct.Length}.");
        double beta = 1 / temperature;
        for (int r = 0; r < targets.Length; r++)
        {
            var x = logits.Slice(r * classes, classes);
            int p = Metrics.ArgMax(x);
            double sum = 0;
            foreach (float v in x) sum += Math.Exp((v - (double)x[p]) * beta);
            confidence[r] = 1 / sum;
            correct[r] = p == targets[r];
        }
    }

    /// <summary>
    /// Expected calibration error of softmax(x / T) with <paramref name="bins"/> equal-width bins (see
    /// <see cref="Metrics.ExpectedCalibrationError"/>).
    /// </summary>
    public static double ExpectedCalibrationError(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes, double temperature,
        int bins = Metrics.DefaultCalibrationBins)
    {
        var confidence = new double[targets.Length];
        var correct = new bool[targets.Length];
        Confidences(logits, targets, classes, temperature, confidence, correct);
        return Metrics.ExpectedCalibrationError(confidence, correct, bins);
    }

    private static void Check(ReadOnlySpan<float> logits, ReadOnlySpan<long> targets, int classes)
    {
        if (targets.IsEmpty) throw new ArgumentException("Temperature scaling needs at least one sample.", nameof(targets));
        int rows = KernelArgs.Rows(logits.Length, classes, nameof(logits));
        if (rows != targets.Length)
            throw new ArgumentException($"Expected input batch_size ({rows}) to match target batch_size ({targets.Length}).",
                nameof(targets));
        CrossEntropyKernel.ValidateTargets(targets, classes, ignoreIndex: long.MinValue); // nothing is ignored: every sample counts
    }
}
