using System.Globalization;
using Xent.IO;
using Xent.Training;

namespace Xent.Data;

/// <summary>
/// Reads a pair of .npy files: features of any numeric dtype with shape (N, F) (feature vectors), (N, H, W) (gray
/// images) or (N, C, H, W) (images; uint8 pixels are scaled to [0, 1] as <see cref="ToTensor"/> does, and held as bytes; other dtypes are
/// taken as they are), and labels of shape (N) or (N, 1) (integer classes, or class names as numpy <c>&lt;U</c> text; the class
/// names are the distinct values, sorted) or (N, L) with L ≥ 2 (a 0/1 multi-label matrix, labels named <c>label0</c> …).
/// </summary>
public static class NpySource
{
    /// <summary>
    /// Refuses a labels file that is a pipe (<c>--labels &lt;(cat y.npy)</c>, a link to /dev/stdin, a FIFO with a writer): its
    /// header is read twice (text labels or numbers), and the second read of a pipe began mid-array, which was then called
    /// "not an .npy file" (qa-s21-crash M5). In the words a CSV pipe is refused in.
    /// </summary>
    private static void RefusePipe(string labels)
    {
        using var file = FileReading.OpenRead(labels);
        if (!file.CanSeek)
            throw PipeInput.ReadTwice(labels, "a labels .npy file", "its header, then its values", "labels.npy");
    }

    /// <summary>
    /// <see cref="Npy.Read(string)"/> of <paramref name="path"/>, hashing its bytes on the way (a file's after the array too), then
    /// telling <paramref name="told"/> their count and SHA-256.
    /// </summary>
    private static NpyArray ReadFingerprinted(string path, Action<long, string> told)
    {
        using var stream = new FingerprintStream(BinaryFile.OpenRead(path));
        var array = Npy.Read(stream, path);
        var (bytes, sha256) = stream.Finish();
        told(bytes, sha256);
        return array;
    }

    /// <summary>Reads <paramref name="featuresPath"/> with the labels in <see cref="DataOptions.Labels"/>.</summary>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">A malformed file, an unsupported shape, labels that are not integers, or a count
    /// mismatch.</exception>
    public static ArrayDataset Load(string featuresPath, DataOptions? options = null)
    {
        options ??= new DataOptions();
        var spec = options.Spec;
        var x = options.Fingerprinted is { } told ? ReadFingerprinted(featuresPath, told) : Npy.Read(featuresPath);
        int[] shape = SampleShape(x, featuresPath);
        CheckModelShape(x, shape, featuresPath, spec);
        if (spec is null && x.Rank == 4) CheckChannelsFirst(featuresPath, x.Shape);
        var samples = ReadSamples(x, shape, featuresPath, spec);
        if (options.Labels is null) return Unlabelled(samples, featuresPath, options);
        RequireLabelsFile(options.Labels);
        if (TextLabels(options.Labels, options) is { } texts) return TextClasses(samples, texts, options.Labels, featuresPath, options);
        var (y, values) = NumberLabels(options.Labels, samples.N, featuresPath, options);
        CheckSingleLabel(y, values, options.Labels, samples.N, options);
        // An (N, 1) column of classes (sklearn's and pandas' column vectors) is classes; a 1-label multi-label problem would be
        // the same binary one.
        if ((y.Rank == 2 && y.Dim(1) > 1) || spec?.MultiLabel == true)
            return MultiLabels(samples, y, values, options.Labels, spec);
        return IntegerClasses(samples, values, options.Labels, options);
    }

    /// <summary>
    /// The features <see cref="Load"/> read, to be paired with their labels: 8-bit images as <see cref="Pixels"/> (held as
    /// bytes), anything else as float32 <see cref="Inputs"/>.
    /// </summary>
    private sealed record Samples(int N, int[] Shape, byte[]? Pixels, float[]? Inputs, string[]? FeatureNames)
    {
        /// <summary>The data set of these samples with one class each.</summary>
        public ArrayDataset Classes(long[] targets, IReadOnlyList<string> classNames) => Pixels is not null
            ? ArrayDataset.FromPixels(Pixels, Shape, targets, classNames)
            : new ArrayDataset(Inputs!, Shape, targets, classNames, FeatureNames);

        /// <summary>The data set of these samples with a 0/1 multi-label matrix.</summary>
        public ArrayDataset Labels(float[] labels, IReadOnlyList<string> labelNames) => Pixels is not null
            ? ArrayDataset.FromPixels(Pixels, Shape, labels, labelNames)
            : new ArrayDataset(Inputs!, Shape, labels, labelNames, FeatureNames);
    }

    /// <summary>The shape of one sample of <paramref name="x"/>, refusing an array without samples or values.</summary>
    private static int[] SampleShape(NpyArray x, string featuresPath)
    {
        if (x.Rank < 1 || x.Dim(0) == 0)
            throw new InvalidDataException($"'{featuresPath}' holds no samples (shape ({string.Join(", ", x.Shape)})).");
        int[] shape = x.Rank switch
        {
            1 => [1],
            2 => [x.Dim(1)],
            3 => [1, x.Dim(1), x.Dim(2)],
            4 => [x.Dim(1), x.Dim(2), x.Dim(3)],
            _ => throw new InvalidDataException(
                $"'{featuresPath}' has shape ({string.Join(", ", x.Shape)}); expected (N, F), (N, H, W) or (N, C, H, W)."),
        };
        // (N, 0) and the like: ArrayDataset would refuse it with its own words and without the file's name.
        if (shape.Contains(0))
            throw new InvalidDataException($"'{featuresPath}' has shape ({string.Join(", ", x.Shape)}): its samples hold no values.");
        return shape;
    }

    /// <summary>Refuses samples of another shape than the model <paramref name="spec"/> takes, if any.</summary>
    private static void CheckModelShape(NpyArray x, int[] shape, string featuresPath, ModelSpec? spec)
    {
        if (spec is not null && !shape.SequenceEqual(spec.InputShape))
        {
            string expected = string.Join(", ", spec.InputShape);
            string hint = spec.InputKind != ModelSpec.ImageInput ? "."
                : spec.InputShape[0] == 1
                    ? $": expected an array of shape (N, {expected}) or (N, {spec.InputShape[1]}, {spec.InputShape[2]}), channels first."
                    : $": expected an array of shape (N, {expected}), channels first.";
            // The model's images with the channels last (N, H, W, C): say how to turn them.
            if (x.Rank == 4 && new[] { x.Dim(3), x.Dim(1), x.Dim(2) }.SequenceEqual(spec.InputShape))
                hint = $"{hint[..^1]}; it looks channels-last (N, H, W, C): rewrite it with {TransposeFix}.";
            throw new InvalidDataException(
                $"'{featuresPath}' holds samples of shape ({string.Join(", ", shape)}), but the model takes ({expected}){hint}");
        }
    }

    /// <summary>The samples' values: 8-bit images' pixels, else the features as finite float32.</summary>
    private static Samples ReadSamples(NpyArray x, int[] shape, string featuresPath, ModelSpec? spec)
    {
        int n = x.Dim(0);
        // 8-bit images are pixels 0-255, read as byte / 255 (ToTensor's scaling of IDX and image files, so a checkpoint trained on
        // any of the three takes the others at predict time) and held as bytes.
        byte[]? pixels = x.DType == NpyDType.UInt8 && shape.Length == 3 ? x.UInt8 : null;
        var inputs = pixels is null ? FiniteFloats(x, featuresPath, n) : null;
        return new Samples(n, shape, pixels, inputs, spec?.FeatureNames);
    }

    /// <summary>Samples without labels (predicting): all class 0, or no label set, in the model's classes.</summary>
    private static ArrayDataset Unlabelled(Samples samples, string featuresPath, DataOptions options)
    {
        var spec = options.Spec;
        int n = samples.N;
        if (!options.LabelsOptional)
            throw new InvalidDataException($"'{featuresPath}' needs its labels: " +
                options.Advice("pass --labels labels.npy.", "set DataOptions.Labels to the labels' .npy file."));
        if (spec is null) throw new InvalidDataException("unlabelled .npy features need a model spec.");
        return spec.MultiLabel ? samples.Labels(new float[(long)n * spec.NumClasses], spec.ClassNames)
            : samples.Classes(new long[n], spec.ClassNames);
    }

    /// <summary>Refuses a labels path that is not a file, or that is a pipe (<see cref="RefusePipe"/>).</summary>
    private static void RequireLabelsFile(string labelsPath)
    {
        // .NET's own "Could not find file" does not say which file it was meant to be.
        if (!File.Exists(labelsPath))
            throw new FileNotFoundException($"the labels file '{labelsPath}' does not exist" +
                (Directory.Exists(labelsPath) ? " (it is a folder)." : "."), labelsPath);
        RefusePipe(labelsPath);
    }

    /// <summary>The labels when they are text; null when they are numbers (only their header is read then).</summary>
    private static string[]? TextLabels(string labelsPath, DataOptions options)
    {
        // Class names as text (np.save of an array of strings): classes sorted as a CSV label column's are. Text is read whole by
        // this read, which hashes it then; numbers' header only, and they are hashed by the read of their values below.
        bool text;
        string[] texts;
        using (var first = BinaryFile.OpenRead(labelsPath))
        using (var hashed = options.LabelsFingerprinted is null ? null : new FingerprintStream(first))
        {
            text = Npy.TryReadText(hashed ?? (Stream)first, labelsPath, out texts);
            if (text && hashed is not null)
            {
                var (bytes, sha256) = hashed.Finish();
                options.LabelsFingerprinted!(bytes, sha256);
            }
        }
        return text ? texts : null;
    }

    /// <summary>Samples with text labels: the model's classes, else the distinct labels sorted as a CSV's are.</summary>
    private static ArrayDataset TextClasses(Samples samples, string[] texts, string labelsPath, string featuresPath, DataOptions options)
    {
        var spec = options.Spec;
        int n = samples.N;
        if (texts.Length != n)
            throw new InvalidDataException($"'{labelsPath}' holds {texts.Length} labels, but '{featuresPath}' holds {n} samples.");
        // An empty string would become a class without a name (a CSV's empty label cell is refused the same way).
        if (Array.FindIndex(texts, t => t.Length == 0) is int blank and >= 0)
            throw new InvalidDataException($"'{labelsPath}' holds an empty label at index {blank}; every sample needs its class.");
        if (spec?.MultiLabel == true)
            throw new InvalidDataException($"'{labelsPath}' holds text, but the model is multi-label: it takes an (N, " +
                $"{spec.NumClasses}) 0/1 matrix.");
        IReadOnlyList<string> textClasses = spec?.ClassNames ?? CsvSource.SortClasses(texts.Distinct(StringComparer.Ordinal));
        var textTargets = ClassIndices(texts, textClasses, labelsPath, options.ClassesOwner);
        return samples.Classes(textTargets, textClasses);
    }

    /// <summary>Numeric labels, (N) or (N, L), as float64, read (and hashed) once.</summary>
    private static (NpyArray Y, double[] Values) NumberLabels(string labelsPath, int n, string featuresPath, DataOptions options)
    {
        var y = options.LabelsFingerprinted is { } toldLabels ? ReadFingerprinted(labelsPath, toldLabels) : Npy.Read(labelsPath);
        if (y.Rank is not (1 or 2) || y.Dim(0) != n)
            throw new InvalidDataException($"'{labelsPath}' has shape ({string.Join(", ", y.Shape)}), but '{featuresPath}' holds {n} " +
                $"samples; expected ({n}) class labels or an ({n}, L) 0/1 matrix.");
        return (y, y.ToFloat64());
    }

    /// <summary>Refuses an (N, L) labels matrix for a single-label checkpoint, model or run.</summary>
    private static void CheckSingleLabel(NpyArray y, double[] values, string labelsPath, int n, DataOptions options)
    {
        var spec = options.Spec;
        // An (N, L) matrix for a single-label model or run: refused here, before any work, in the file's terms (it failed deep in the
        // metrics, after an epoch in train, or as the model's output shape in calibrate).
        string? singleLabel = options.SingleLabelOwner ?? (spec is { MultiLabel: false } ? "the model" : null);
        if (singleLabel is not null && y.Rank == 2 && y.Dim(1) > 1)
            throw new InvalidDataException(SingleLabelRefusal(labelsPath, values, n, y.Dim(1), singleLabel));
    }

    /// <summary>Samples with a 0/1 multi-label matrix, its labels named by the model or <c>label0</c> ….</summary>
    private static ArrayDataset MultiLabels(Samples samples, NpyArray y, double[] values, string labelsPath, ModelSpec? spec)
    {
        int l = y.Rank == 2 ? y.Dim(1) : 1;
        IReadOnlyList<string> names = spec?.ClassNames
            ?? Enumerable.Range(0, l).Select(i => "label" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        if (names.Count != l) throw new InvalidDataException($"'{labelsPath}' has {l} label columns; the model has {names.Count}.");
        var m = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
            m[i] = values[i] switch { 0 => 0f, 1 => 1f,
                var v =>
                throw new InvalidDataException($"'{labelsPath}' holds {v.ToString(CultureInfo.InvariantCulture)}; multi-label " +
                "entries must be 0 or 1.") };
        if (spec is null && l >= 2 && IsOneHot(m, l))
            Diagnostics.Warnings.Warn($"npy.one-hot:{labelsPath}",
                $"every row of '{labelsPath}' holds exactly one 1, as one-hot classes do (Keras's to_categorical): xent reads " +
                $"an (N, L) 0/1 matrix as {l} independent labels (multi-label: sigmoid outputs, BCE). If each sample has one " +
                "class, save the class indices instead, np.save('labels.npy', y.argmax(1)).");
        return samples.Labels(m, names);
    }

    /// <summary>Samples with integer class labels: the model's classes, else the distinct labels in numeric order.</summary>
    private static ArrayDataset IntegerClasses(Samples samples, double[] values, string labelsPath, DataOptions options)
    {
        var spec = options.Spec;
        int n = samples.N;
        var labels = new long[n];
        for (int i = 0; i < n; i++)
        {
            double v = values[i];
            if (v != Math.Floor(v) || Math.Abs(v) > 1e15)
                throw new InvalidDataException($"'{labelsPath}' holds {v.ToString(CultureInfo.InvariantCulture)} at index {i}; class " +
                    "labels must be integers.");
            labels[i] = (long)v;
        }
        IReadOnlyList<string> classNames = spec?.ClassNames
            ?? labels.Distinct().Order().Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray();
        var keys = labels.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray();
        var targets = ClassIndices(keys, classNames, labelsPath, options.ClassesOwner);
        return samples.Classes(targets, classNames);
    }

    /// <summary>
    /// Why an (<paramref name="n"/>, <paramref name="l"/>) labels matrix does not fit <paramref name="owner"/>, which is single-label;
    /// for one-hot rows (Keras's <c>to_categorical</c>), how to save them as the class indices instead.
    /// </summary>
    private static string SingleLabelRefusal(string path, double[] values, int n, int l, string owner)
    {
        var ci = CultureInfo.InvariantCulture;
        bool zeroOne = Array.TrueForAll(values, v => v is 0 or 1);
        string hint = zeroOne && IsOneHot(Array.ConvertAll(values, v => (float)v), l)
            ? " Every row holds exactly one 1 (one-hot classes): save the class indices instead, np.save('labels.npy', y.argmax(1))."
            : "";
        return string.Create(ci, $"'{path}' has shape ({n}, {l}), which xent reads as multi-label ({l} labels of 0 or 1 per sample), " +
            $"but {owner} is single-label: pass one class per sample, shape ({n}).{hint}");
    }

    /// <summary>How to turn a channels-last array (N, H, W, C) into the channels-first one xent reads.</summary>
    private const string TransposeFix = "np.save(path, np.transpose(x, (0, 3, 1, 2)))";

    /// <summary>True when each row of the (N, <paramref name="l"/>) 0/1 matrix holds exactly one 1.</summary>
    private static bool IsOneHot(float[] m, int l)
    {
        for (int row = 0; row < m.Length; row += l)
            if (m.AsSpan(row, l).IndexOf(1f) is var k && (k < 0 || m.AsSpan(row + k + 1, l - k - 1).Contains(1f))) return false;
        return true;
    }

    /// <summary>
    /// Refuses a training image array that looks channels-last, (N, H, W, C) as Keras, TensorFlow and <c>np.stack</c> of PIL images
    /// give it: its last axis is 1, 3 or 4 (gray, RGB, RGBA) and its second is not. Read channels first it would train on the
    /// wrong axes (32 channels of 32×3 images). When the layout is unclear, (N, 16, 16, 8) say, it is read channels first with a
    /// warning.
    /// </summary>
    private static void CheckChannelsFirst(string path, IReadOnlyList<int> shape)
    {
        int a = shape[1], b = shape[2], c = shape[3];
        string dims = string.Join(", ", shape);
        if (c is 1 or 3 or 4 && a is not (1 or 3 or 4))
            throw new InvalidDataException($"'{path}' has shape ({dims}), which looks channels-last (N, H, W, C): {c}-channel images of " +
                $"{a}x{b} (height x width). xent reads image arrays channels first, (N, C, H, W), as PyTorch does: rewrite it with " +
                $"{TransposeFix}.");
        // Square images channels-last, but not channels first: the reading below may be the wrong one.
        if (a == b && b != c)
            Diagnostics.Warnings.Warn($"npy.layout:{path}",
                $"'{path}' has shape ({dims}): read channels first, (N, C, H, W), as {a} channel(s) of {b}x{c} (height x width) images. " +
                $"If it is channels-last (N, H, W, C), {c} channel(s) of {a}x{b} images, rewrite it with {TransposeFix} instead.");
    }

    /// <summary>The features as float32, refusing an infinite value (or a float64 beyond float32's range).</summary>
    private static float[] FiniteFloats(NpyArray x, string featuresPath, int n)
    {
        var inputs = x.ToFloat32();
        // Infinity would only surface later as a NaN probability or an error without the file's name. NaN stays: it marks a missing
        // value, which standardisation imputes with the training mean, as CSV's --missing mean.
        int infinite = Array.FindIndex(inputs, float.IsInfinity);
        if (infinite >= 0)
        {
            long perSample = inputs.Length / n;
            throw new InvalidDataException($"'{featuresPath}' holds an infinite value (or one beyond float32's range) in sample " +
                $"{infinite / perSample}, at flat index {infinite}; inputs must be finite (NaN marks a missing value).");
        }
        return inputs;
    }

    /// <summary>
    /// Each label's index in <paramref name="classNames"/> (<paramref name="owner"/>'s, for the message); a label not among them is
    /// an error naming it.
    /// </summary>
    private static long[] ClassIndices(string[] labels, IReadOnlyList<string> classNames, string path, string owner)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 0; k < classNames.Count; k++) index[classNames[k]] = k;
        var targets = new long[labels.Length];
        for (int i = 0; i < labels.Length; i++)
            targets[i] = index.TryGetValue(labels[i], out int k) ? k
                : throw new InvalidDataException($"label {labels[i]} at index {i} of '{path}' is not one of {owner} " +
                    $"({string.Join(", ", classNames)}).");
        return targets;
    }
}
