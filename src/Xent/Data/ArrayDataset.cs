namespace Xent.Data;

/// <summary>
/// A dataset held in memory as raw inputs with class indices (or, for multi-label data, a 0/1 label matrix), what every
/// file source (<see cref="CsvSource"/>, <see cref="ImageFolderSource"/>, <see cref="NpySource"/>) yields. Inputs are floats,
/// or 8-bit image pixels read as <c>byte / 255</c> (a quarter of the memory, the same floats). <see cref="Subset"/> and
/// <see cref="Standardized"/> return views that share the arrays, so a split and its standardisation cost no copy.
/// </summary>
/// <remarks>
/// Raw inputs are what a <see cref="Training.ModelSpec"/> calls raw: image pixels in [0, 1] as (C, H, W), or feature
/// values in <see cref="FeatureNames"/> order. A missing value is NaN; standardisation maps it to 0, which is the
/// training mean (mean imputation). Standardisation is per channel (rank-3 samples) or per feature (rank 1).
/// </remarks>
public sealed class ArrayDataset : IDataset
{
    private readonly float[]? _inputs;
    private readonly byte[]? _pixels; // instead of _inputs: sample values are byte / 255
    // For pixels: ToTensor as a lookup table per channel (raw values), and with the view's Normalize folded in (samples).
    private readonly BytePipeline? _rawPixels, _samplePixels;
    private readonly long[] _targets;
    private readonly float[]? _labels;
    private readonly int[] _sampleShape;
    private readonly int _sampleSize;
    private readonly int[]? _index;
    private readonly float[]? _mean, _std;

    /// <summary>Wraps raw inputs (<c>N × prod(sampleShape)</c> floats) and class indices (single-label).</summary>
    /// <exception cref="ArgumentException">Sizes that do not fit, or a target outside [0, classNames.Count).</exception>
    public ArrayDataset(float[] inputs, int[] sampleShape, long[] targets, IReadOnlyList<string> classNames,
        IReadOnlyList<string>? featureNames = null)
        : this(new Storage(inputs, null), sampleShape, targets, null, classNames, featureNames, null, null, null) =>
        CheckTargets(targets, classNames);

    /// <summary>
    /// Wraps 8-bit image pixels (<c>N × prod(sampleShape)</c> bytes, (C, H, W) samples) and class indices; the raw value of a
    /// pixel is <c>byte / 255</c>, as torchvision's <c>ToTensor</c>. The bytes are not copied.
    /// </summary>
    /// <remarks>A factory, not a constructor, so that a collection expression of numbers still means floats.</remarks>
    /// <exception cref="ArgumentException">Sizes that do not fit, a sample shape that is not (C, H, W), or a target outside
    /// [0, classNames.Count).</exception>
    public static ArrayDataset FromPixels(byte[] pixels, int[] sampleShape, long[] targets, IReadOnlyList<string> classNames)
    {
        CheckImageShape(sampleShape);
        var data = new ArrayDataset(new Storage(null, pixels), sampleShape, targets, null, classNames, null, null, null, null);
        CheckTargets(targets, classNames);
        return data;
    }

    private static void CheckTargets(long[] targets, IReadOnlyList<string> classNames)
    {
        foreach (long t in targets)
            if (t < 0 || t >= classNames.Count) throw new ArgumentException($"Target {t} is not a class index 0..{classNames.Count - 1}.",
                nameof(targets));
    }

    /// <summary>The raw values: floats, or pixels (one of the two is null).</summary>
    private readonly record struct Storage(float[]? Floats, byte[]? Pixels)
    {
        public long Length => Floats?.LongLength ?? Pixels!.LongLength; // the constructor refuses two nulls first
    }

    /// <summary>Wraps raw inputs and a multi-label 0/1 matrix <paramref name="labels"/> (<c>N × labelNames.Count</c>).</summary>
    /// <exception cref="ArgumentException">Sizes that do not fit.</exception>
    public ArrayDataset(float[] inputs, int[] sampleShape, float[] labels, IReadOnlyList<string> labelNames,
        IReadOnlyList<string>? featureNames = null)
        : this(new Storage(inputs, null), sampleShape, new long[CountOf(inputs?.LongLength ?? 0, sampleShape)], labels, labelNames,
            featureNames, null, null, null) =>
        CheckLabels(labels, labelNames);

    /// <summary>Wraps 8-bit image pixels (see <see cref="FromPixels(byte[], int[], long[], IReadOnlyList{string})"/>) and a
    /// multi-label 0/1 matrix <paramref name="labels"/> (<c>N × labelNames.Count</c>).</summary>
    /// <exception cref="ArgumentException">Sizes that do not fit, or a sample shape that is not (C, H, W).</exception>
    public static ArrayDataset FromPixels(byte[] pixels, int[] sampleShape, float[] labels, IReadOnlyList<string> labelNames)
    {
        CheckImageShape(sampleShape);
        var data = new ArrayDataset(new Storage(null, pixels), sampleShape, new long[CountOf(pixels?.LongLength ?? 0, sampleShape)],
            labels, labelNames, null, null, null, null);
        data.CheckLabels(labels, labelNames);
        return data;
    }

    private void CheckLabels(float[] labels, IReadOnlyList<string> labelNames)
    {
        if (labels.Length != (long)Count * labelNames.Count)
            throw new ArgumentException($"The label matrix holds {labels.Length} values; {Count} samples of {labelNames.Count} labels " +
                $"need {(long)Count * labelNames.Count}.", nameof(labels));
    }

    private static void CheckImageShape(int[] sampleShape)
    {
        ArgumentNullException.ThrowIfNull(sampleShape);
        if (sampleShape.Length != 3)
            throw new ArgumentException($"Pixels make image samples (C, H, W), got ({string.Join(", ", sampleShape)}).",
                nameof(sampleShape));
    }

    private ArrayDataset(Storage inputs, int[] sampleShape, long[] targets, float[]? labels, IReadOnlyList<string> classNames,
        IReadOnlyList<string>? featureNames, int[]? index, float[]? mean, float[]? std)
    {
        if (inputs.Floats is null && inputs.Pixels is null) throw new ArgumentNullException(nameof(inputs));
        ArgumentNullException.ThrowIfNull(sampleShape);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(classNames);
        if (sampleShape.Length is not (1 or 3) || sampleShape.Any(d => d < 1))
            throw new ArgumentException("A sample must be a feature vector (F) or an image (C, H, W), got " +
                $"({string.Join(", ", sampleShape)}).", nameof(sampleShape));
        if (classNames.Count < 1) throw new ArgumentException("A dataset needs at least one class.", nameof(classNames));
        _inputs = inputs.Floats;
        _pixels = inputs.Pixels;
        _sampleShape = sampleShape;
        _sampleSize = DatasetChecks.SampleSize(sampleShape);
        int rows = CountOf(inputs.Length, sampleShape);
        if (targets.Length != rows)
            throw new ArgumentException($"{rows} samples but {targets.Length} targets; they must be the same number.", nameof(targets));
        if (featureNames is not null && (sampleShape.Length != 1 || featureNames.Count != sampleShape[0]))
            throw new ArgumentException($"{featureNames.Count} feature names for samples of shape ({string.Join(", ", sampleShape)}).",
                nameof(featureNames));
        _targets = targets;
        _labels = labels;
        _index = index;
        _mean = mean;
        _std = std;
        if (_pixels is not null)
        {
            _rawPixels = new BytePipeline(new ToTensor(), sampleShape);
            _samplePixels = mean is null ? _rawPixels : new BytePipeline(
                new Compose(new ToTensor(), new Normalize(mean.Select(v => (double)v).ToArray(), std!.Select(v => (double)v).ToArray())),
                sampleShape);
        }
        ClassNames = classNames.ToArray();
        FeatureNames = featureNames?.ToArray();
        Count = index?.Length ?? rows;
    }

    private static int CountOf(long values, int[] shape)
    {
        int size = DatasetChecks.SampleSize(shape);
        if (size == 0 || values % size != 0)
            throw new ArgumentException($"{values} input values are not a whole number of samples of shape " +
                $"({string.Join(", ", shape)}).", "inputs");
        return checked((int)(values / size));
    }

    /// <inheritdoc/>
    public int Count { get; }

    /// <inheritdoc/>
    public IReadOnlyList<int> SampleShape => _sampleShape;

    /// <summary>Class names in target order (single-label), or label names in column order (multi-label).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Feature names of feature-vector samples (a one-hot column contributes <c>column=value</c> names), else null.</summary>
    public IReadOnlyList<string>? FeatureNames { get; }

    /// <summary>True when samples carry a 0/1 vector of independent labels instead of one class.</summary>
    public bool IsMultiLabel => _labels is not null;

    /// <inheritdoc/>
    public int LabelCount => IsMultiLabel ? ClassNames.Count : 0;

    /// <summary>True when the raw values are 8-bit pixels read as <c>byte / 255</c>, so in [0, 1].</summary>
    internal bool HoldsPixels => _pixels is not null;

    /// <summary>The root mean square of this view's raw values (NaN, a missing value, left out); 0 when there are none.</summary>
    internal double RootMeanSquare()
    {
        double sum = 0;
        long n = 0;
        var buffer = new float[_sampleSize];
        for (int i = 0; i < Count; i++)
            foreach (float v in Raw(i, buffer))
            {
                if (float.IsNaN(v)) continue;
                sum += (double)v * v;
                n++;
            }
        return n == 0 ? 0 : Math.Sqrt(sum / n);
    }

    /// <summary>True for image samples (C, H, W); false for feature vectors (F).</summary>
    public bool IsImage => _sampleShape.Length == 3;

    /// <summary>Number of standardisation statistics: channels for images, features for feature vectors.</summary>
    public int StatisticsCount => _sampleShape[0];

    /// <summary>The standardisation applied by this view, or null for raw values.</summary>
    public (IReadOnlyList<float> Mean, IReadOnlyList<float> Std)? Standardization => _mean is null ? null : (_mean, _std!);

    /// <summary>True when some raw input is NaN (a missing value).</summary>
    public bool HasMissing()
    {
        if (_pixels is not null) return false;
        var buffer = new float[_sampleSize];
        for (int i = 0; i < Count; i++)
            if (HasNaN(Raw(i, buffer))) return true;
        return false;

        static bool HasNaN(ReadOnlySpan<float> s)
        {
            foreach (float v in s) if (float.IsNaN(v)) return true;
            return false;
        }
    }

    /// <summary>Writes sample <paramref name="index"/>'s raw values (no standardisation) into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is not one sample long.</exception>
    public void CopyRaw(int index, Span<float> destination)
    {
        CheckSampleLength(destination);
        Raw(index, destination).CopyTo(destination);
    }

    private void CheckSampleLength(Span<float> destination)
    {
        if (destination.Length != _sampleSize)
            throw new ArgumentException($"The destination holds {destination.Length} floats; a sample has {_sampleSize}.",
                nameof(destination));
    }

    /// <summary>Sample <paramref name="index"/>'s raw values: in place for floats, else converted into <paramref name="buffer"/>.</summary>
    private ReadOnlySpan<float> Raw(int index, Span<float> buffer)
    {
        if (_inputs is not null) return _inputs.AsSpan(Start(index), _sampleSize);
        _rawPixels!.Convert(_pixels.AsSpan(Start(index), _sampleSize), buffer);
        return buffer[.._sampleSize];
    }

    /// <summary>Where sample <paramref name="index"/> of this view starts in the stored values.</summary>
    private int Start(int index)
    {
        DatasetChecks.Index(index, Count);
        return checked((_index is null ? index : _index[index]) * _sampleSize);
    }

    /// <summary>A view of the samples <paramref name="indices"/> (positions in this view), sharing the arrays.</summary>
    public ArrayDataset Subset(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var map = new int[indices.Count];
        for (int k = 0; k < map.Length; k++)
        {
            DatasetChecks.Index(indices[k], Count);
            map[k] = _index is null ? indices[k] : _index[indices[k]];
        }
        return new ArrayDataset(new Storage(_inputs, _pixels), _sampleShape, _targets, _labels, ClassNames, FeatureNames, map, _mean,
            _std);
    }

    /// <summary>A view whose samples come out as <c>(x − mean) / std</c> per channel or feature, NaN (missing) as 0.</summary>
    /// <exception cref="ArgumentException">Not one positive std and one finite mean per channel or feature.</exception>
    public ArrayDataset Standardized(IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Count != StatisticsCount || std.Count != StatisticsCount)
            throw new ArgumentException($"Standardisation needs {StatisticsCount} means and standard deviations, got {mean.Count} and " +
                $"{std.Count}.");
        if (std.Any(s => !(s > 0) || !float.IsFinite(s)) || mean.Any(m => !float.IsFinite(m)))
            throw new ArgumentException("Standardisation needs finite means and positive standard deviations.");
        return new ArrayDataset(new Storage(_inputs, _pixels), _sampleShape, _targets, _labels, ClassNames, FeatureNames, _index,
            mean.ToArray(), std.ToArray());
    }

    /// <summary>
    /// Per-channel (images) or per-feature means and standard deviations of this view's raw values, in float64:
    /// population std (ddof 0, as scikit-learn's StandardScaler), 1 where it is 0 (a constant input is left centred).
    /// Missing values count as the mean (the variance of the mean-imputed values). A column with no value at all gets mean 0.
    /// </summary>
    public (float[] Mean, float[] Std) ComputeStandardization() => ComputeStandardization(out _);

    /// <summary>
    /// <see cref="ComputeStandardization()"/>, and the statistics (features or channels) with no value at all in this view (every
    /// one missing), which carry no information: the CLI warns about them.
    /// </summary>
    internal (float[] Mean, float[] Std) ComputeStandardization(out int[] unobserved)
    {
        int stats = StatisticsCount, plane = _sampleSize / stats;
        var sum = new double[stats];
        var n = new long[stats];
        var buffer = new float[_sampleSize];
        for (int i = 0; i < Count; i++)
        {
            var x = Raw(i, buffer);
            for (int j = 0; j < x.Length; j++)
            {
                float v = x[j];
                if (float.IsNaN(v)) continue;
                int s = IsImage ? j / plane : j;
                sum[s] += v;
                n[s]++;
            }
        }
        var mean = new double[stats];
        for (int s = 0; s < stats; s++) mean[s] = n[s] == 0 ? 0 : sum[s] / n[s];
        unobserved = Enumerable.Range(0, stats).Where(s => n[s] == 0).ToArray();
        var sq = new double[stats];
        for (int i = 0; i < Count; i++)
        {
            var x = Raw(i, buffer);
            for (int j = 0; j < x.Length; j++)
            {
                float v = x[j];
                if (float.IsNaN(v)) continue;
                int s = IsImage ? j / plane : j;
                double d = v - mean[s];
                sq[s] += d * d;
            }
        }
        long total = (long)Count * plane;
        var m = new float[stats];
        var sd = new float[stats];
        for (int s = 0; s < stats; s++)
        {
            m[s] = (float)mean[s];
            float v = total == 0 ? 0f : (float)Math.Sqrt(sq[s] / total);
            sd[s] = v > 1e-12f && float.IsFinite(v) ? v : 1f;
        }
        return (m, sd);
    }

    /// <inheritdoc/>
    public void CopySample(int index, Span<float> destination)
    {
        CheckSampleLength(destination);
        if (_samplePixels is not null)
        {
            // (byte / 255 − mean) / std in one lookup per pixel: the same float operations as below, as IDX images get them.
            _samplePixels.Convert(_pixels.AsSpan(Start(index), _sampleSize), destination);
            return;
        }
        var x = Raw(index, destination);
        if (_mean is null)
        {
            x.CopyTo(destination);
            return;
        }
        int stats = StatisticsCount, plane = _sampleSize / stats;
        for (int s = 0; s < stats; s++)
        {
            float m = _mean[s], sd = _std![s];
            var src = x.Slice(s * plane, plane);
            var dst = destination.Slice(s * plane, plane);
            for (int j = 0; j < src.Length; j++)
            {
                float v = (src[j] - m) / sd;
                dst[j] = float.IsNaN(v) ? 0f : v;
            }
        }
    }

    /// <inheritdoc/>
    public long Target(int index)
    {
        DatasetChecks.Index(index, Count);
        if (IsMultiLabel) throw new InvalidOperationException("A multi-label dataset has no single class per sample; use CopyLabels.");
        return _targets[_index is null ? index : _index[index]];
    }

    /// <inheritdoc/>
    public void CopyLabels(int index, Span<float> destination)
    {
        DatasetChecks.Index(index, Count);
        if (_labels is null) throw new InvalidOperationException("A single-label dataset has no label vectors; use Target.");
        int l = ClassNames.Count;
        _labels.AsSpan((_index is null ? index : _index[index]) * l, l).CopyTo(destination);
    }

    /// <summary>How many samples each class has (single-label) or each label is 1 for (multi-label).</summary>
    public long[] ClassCounts()
    {
        var counts = new long[ClassNames.Count];
        var row = new float[ClassNames.Count];
        for (int i = 0; i < Count; i++)
        {
            if (!IsMultiLabel) { counts[Target(i)]++; continue; }
            CopyLabels(i, row);
            for (int c = 0; c < row.Length; c++) if (row[c] > 0.5f) counts[c]++;
        }
        return counts;
    }
}
