using System.Globalization;
using Xent.NN;

namespace Xent.Training;

/// <summary>
/// Which of two causes gave a held-out pass outputs that are not finite (a NaN or infinite held-out loss while the training loss
/// is a number): test inputs far outside the range of the training inputs, or weights grown too large (the model diverged). The
/// trainer's warning named both and left the user to guess; this looks at the test inputs as the model sees them (standardised)
/// and at which samples' outputs are not finite, and names one. The trainer's caller words the learning-rate option.
/// </summary>
internal static class NonFiniteHeldOut
{
    /// <summary>
    /// How many times the largest magnitude among the training inputs a test input may reach before it counts as far outside
    /// their range. The built-in models are piecewise linear (linear and convolution layers, ReLU, max-pool), so their logits
    /// grow at most in proportion to the input: a test input within 10 times the training range gives logits within about 10
    /// times those of training, which were finite, unless the weights themselves are near overflow (a diverged model). Beyond
    /// it lie the values of another scale or unit, missing-value codes (-9999) and overflows, which make outputs overflow.
    /// </summary>
    public const double RangeFactor = 10;

    /// <summary>What <see cref="Examine"/> found on the held-out set.</summary>
    /// <param name="Samples">The held-out samples.</param>
    /// <param name="NonFiniteOutputs">Samples with an output (logit) that is NaN or infinite.</param>
    /// <param name="OutOfRange">Samples with an input value that is not finite or beyond <see cref="RangeFactor"/> times the
    /// training inputs' largest magnitude.</param>
    /// <param name="NonFiniteInputs">Samples with an input value that is NaN or infinite (counted in <paramref name="OutOfRange"/>
    /// too).</param>
    /// <param name="NonFiniteOutputsInRange">Samples with a non-finite output whose inputs are not out of range.</param>
    /// <param name="LargestInput">The largest finite magnitude of a test input value (0 without float inputs).</param>
    internal readonly record struct Findings(int Samples, int NonFiniteOutputs, int OutOfRange, int NonFiniteInputs,
        int NonFiniteOutputsInRange, double LargestInput)
    {
        /// <summary>
        /// Whether the test inputs explain the outputs: some are out of range, and every sample whose outputs are not finite is
        /// one of them.
        /// </summary>
        public bool InputsAreTheCause => OutOfRange > 0 && NonFiniteOutputsInRange == 0;
    }

    /// <summary>
    /// Runs <paramref name="model"/> (in eval mode, restored after, without autograd) over <paramref name="batches"/> sample by
    /// sample, as <see cref="Evaluator"/> does, and counts what <see cref="Findings"/> holds; <paramref name="trainingMax"/> is the
    /// largest magnitude among the training inputs.
    /// </summary>
    public static Findings Examine(Module model, IEnumerable<(Tensor Input, Tensor Target)> batches, double trainingMax,
        int maxValuesPerPass = Evaluator.MaxValuesPerPass)
    {
        double limit = RangeFactor * trainingMax;
        int samples = 0, nonFiniteOutputs = 0, outOfRange = 0, nonFiniteInputs = 0, inRange = 0;
        double largest = 0;
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            using var noGrad = Tensor.NoGrad();
            foreach (var (input, _) in batches)
            {
                int n = input.Rank == 0 ? 0 : input.Size(0);
                if (n == 0) continue;
                int perSample = input.NumEl / n, rows = Math.Max(1, maxValuesPerPass / Math.Max(1, perSample));
                bool floats = input.DType == DType.Float32;
                for (int r0 = 0; r0 < n; r0 += rows)
                {
                    int m = Math.Min(rows, n - r0);
                    var output = model.Forward(m == n ? input : Evaluator.Rows(input, r0, m, perSample)).Data;
                    int perOutput = output.Length / m;
                    for (int i = 0; i < m; i++)
                    {
                        samples++;
                        bool far = false;
                        if (floats && perSample > 0)
                        {
                            var (magnitude, _) = InputRange.Largest(input.Data.Slice((r0 + i) * perSample, perSample));
                            if (!float.IsFinite(magnitude)) nonFiniteInputs++;
                            else largest = Math.Max(largest, magnitude);
                            far = InputRange.Beyond(magnitude, limit);
                        }
                        if (far) outOfRange++;
                        if (AllFinite(output.Slice(i * perOutput, perOutput))) continue;
                        nonFiniteOutputs++;
                        if (!far) inRange++;
                    }
                }
            }
        }
        finally
        {
            model.Train(wasTraining);
        }
        return new Findings(samples, nonFiniteOutputs, outOfRange, nonFiniteInputs, inRange, largest);
    }

    /// <summary>
    /// The cause, in words, to follow "the held-out loss is NaN after epoch E (the training loss is L): ". A diverged model's
    /// advice names <paramref name="learningRateOption"/> (the CLI's <c>--lr</c>) after "learning rate" when it is not null.
    /// </summary>
    public static string Cause(Findings found, double trainingMax, string? learningRateOption)
    {
        string range = $"{Magnitude(RangeFactor)} times the range of the training inputs (which reach {Magnitude(trainingMax)}, " +
            "standardised as the model sees them)";
        if (found.InputsAreTheCause)
        {
            int k = found.OutOfRange, nonFinite = found.NonFiniteInputs;
            const string NotFinite = "a value that is not finite (NaN or infinity)";
            string Has(int count) => count == 1 ? "has" : "have";
            string largest = $"values of magnitude up to {Magnitude(found.LargestInput)}";
            string values = nonFinite == k ? (k == 1 ? $"it has {NotFinite}" : $"each has {NotFinite}")
                : nonFinite == 0 ? largest
                : $"{nonFinite} {Has(nonFinite)} {NotFinite}, the {(k - nonFinite == 1 ? "other" : "others")} {Has(k - nonFinite)} " +
                    largest;
            string outputs = found.NonFiniteOutputs == 0 ? ""
                : $" The model's outputs are not finite on {found.NonFiniteOutputs} of them and finite on every other test sample.";
            return $"{k} of the {found.Samples} test samples {Has(k)} inputs beyond {range}: {values}.{outputs} The test data is the " +
                "cause, not the training: look in those samples for a value in other units, a missing-value code (-9999) or an " +
                "overflow. The checkpoint predicts NaN probabilities for such inputs.";
        }
        int bad = found.NonFiniteOutputs;
        string where = bad == 0
            ? $"the model's outputs on the test samples are finite but so large that the loss overflows, and every test input lies " +
                $"within {range}"
            : $"the model's outputs are not finite on {bad} of the {found.Samples} test samples, " +
                $"{(found.NonFiniteOutputsInRange == bad ? "all" : found.NonFiniteOutputsInRange.ToString(CultureInfo.InvariantCulture))}" +
                $" of them with inputs within {range}";
        return $"{where}: the weights grew too large (the model diverged), so its checkpoint predicts NaN probabilities. Try a " +
            $"lower learning rate{TrainingDiagnostics.Option(learningRateOption)}.";
    }

    /// <summary>A magnitude for the warning: two decimals, or from 1e6 four significant digits and an exponent.</summary>
    internal static string Magnitude(double value) => value == Math.Floor(value) && value < 1e6
        ? value.ToString("0", CultureInfo.InvariantCulture) : NumberText.Fixed(value, 2);

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
            if (!float.IsFinite(v)) return false;
        return true;
    }
}
