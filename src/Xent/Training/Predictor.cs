using System.Globalization;
using Xent.Data;
using Xent.Diagnostics;
using Xent.NN;

namespace Xent.Training;

/// <summary>
/// A trained model ready to label raw inputs: loads a checkpoint once, rebuilds its model from the <see cref="ModelSpec"/>,
/// and maps raw inputs (images on the training data's scale, or feature values in the spec's order) to probabilities: softmax(logits / T)
/// over the classes, or one sigmoid per label for a multi-label model. No CLI needed:
/// <code>
/// var predictor = Predictor.Load("runs/iris/checkpoint.safetensors");
/// double[] p = predictor.Predict([5.1f, 3.5f, 1.4f, 0.2f]);            // one probability per class
/// string best = predictor.ClassNames[Array.IndexOf(p, p.Max())];
/// foreach (var (input, probs) in predictor.PredictPath("photos/")) …   // an image, a folder, a CSV or a .npy
/// </code>
/// </summary>
public sealed class Predictor
{
    private readonly Module _model;
    private readonly int _sampleSize;

    /// <summary>
    /// Wraps a model built for <paramref name="spec"/> (its weights already loaded). The model is put in eval mode and run
    /// once on a zero input of the spec's shape, so a model that does not fit the spec is refused here, not at the first
    /// prediction (or, where the shapes happen to fit, never: probabilities for the wrong classes).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="spec"/> is null.</exception>
    /// <exception cref="InvalidDataException">The spec is inconsistent (<see cref="ModelSpec.Validate"/>).</exception>
    /// <exception cref="ArgumentException">The model does not take one input of the spec's <see cref="ModelSpec.InputShape"/>
    /// or does not give one logit per class of <see cref="ModelSpec.ClassNames"/>.</exception>
    public Predictor(Module model, ModelSpec spec)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        Spec = spec ?? throw new ArgumentNullException(nameof(spec));
        spec.Validate();
        _sampleSize = spec.InputShape.Aggregate(1, (a, d) => checked(a * d));
        _model.Eval();
        CheckModelFitsSpec();
    }

    /// <summary>One forward pass on a zero input of the spec's shape: it must give (1, classes) logits.</summary>
    private void CheckModelFitsSpec()
    {
        string input = $"({string.Join(", ", Spec.InputShape)})";
        int[] shape;
        try
        {
            using (Tensor.NoGrad())
            using (Warnings.Mute()) // a warning here would be about the made-up input, and would spend the real one's
                shape = _model.Forward(Tensor.Zeros([1, .. Spec.InputShape])).Shape;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new ArgumentException($"The model does not fit the spec: it does not take an input of the spec's shape {input} " +
                $"({e.Message}).", "model", e);
        }
        if (shape is not [1, var classes] || classes != Spec.NumClasses)
            throw new ArgumentException($"The model does not fit the spec: for one input of shape {input} it gives logits of shape " +
                $"{Shapes.Format(shape)}, where the spec's {Spec.NumClasses} class(es) need [1, {Spec.NumClasses}].", "model");
    }

    /// <summary>Reads a checkpoint written by <c>xent train</c> (or <see cref="Trainer"/> with the spec in its metadata).</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a checkpoint, no model spec in it, or weights that do not fit the spec.</exception>
    public static Predictor Load(string checkpointPath)
    {
        var (state, _, metadata) = TrainingCheckpoint.Load(checkpointPath);
        var spec = ModelSpec.FromMetadata(metadata, checkpointPath)
            ?? throw new InvalidDataException($"'{checkpointPath}' has no model spec (spec.* metadata): it was not written by this " +
                "version of xent train, so its classes and input standardisation are unknown.");
        try
        {
            var model = ModelCatalog.Create(spec, new Generator(0));
            model.LoadStateDict(state);
            return new Predictor(model, spec);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"'{checkpointPath}' does not fit its own spec ({spec.Model}): {e.Message}", e);
        }
    }

    /// <summary>The checkpoint's spec.</summary>
    public ModelSpec Spec { get; }

    /// <summary>Output names in probability order.</summary>
    public IReadOnlyList<string> ClassNames => Spec.ClassNames;

    /// <summary>
    /// Told (inputs predicted so far, inputs in all) after each forward pass of <see cref="PredictBatch"/> and
    /// <see cref="PredictPath"/>, which predict 256 inputs at a time. Null: nobody is told.
    /// </summary>
    public Action<int, int>? Predicted { get; set; }

    /// <summary>
    /// True when the predictor serves the command line (xent predict sets it): its messages then name the CLI's flags and
    /// commands (<see cref="DataOptions.CommandLine"/>).
    /// </summary>
    internal bool CommandLine { get; init; }

    /// <summary>
    /// Probabilities for one raw input of the spec's shape (row-major). A NaN value is taken as missing and imputed with the
    /// training mean (0 after standardisation), as <c>xent train --missing mean</c> does: check the inputs first where NaN
    /// cannot mean missing.
    /// </summary>
    /// <exception cref="ArgumentException">The input does not have the spec's size.</exception>
    public double[] Predict(ReadOnlySpan<float> rawInput) => PredictBatch(rawInput, 1)[0];

    /// <summary>
    /// Probabilities for <paramref name="count"/> raw inputs stored one after another (NaN values imputed as by
    /// <see cref="Predict"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="raw"/> is not <paramref name="count"/> inputs of the spec's size.</exception>
    public double[][] PredictBatch(ReadOnlySpan<float> raw, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (raw.Length != (long)count * _sampleSize)
            throw new ArgumentException($"{raw.Length} values are not {count} input(s) of shape ({string.Join(", ", Spec.InputShape)}).",
                nameof(raw));
        var result = new double[count][];
        for (int start = 0; start < count; start += Chunk)
        {
            int n = Math.Min(Chunk, count - start);
            var x = new float[n * _sampleSize];
            raw.Slice(start * _sampleSize, x.Length).CopyTo(x);
            PredictChunk(x, n, result.AsSpan(start, n));
            Predicted?.Invoke(start + n, count);
        }
        return result;
    }

    /// <summary>Probabilities for every sample of <paramref name="data"/>, read a chunk at a time (its raw values, not its own
    /// standardisation: the spec's is applied).</summary>
    private double[][] PredictData(ArrayDataset data)
    {
        var result = new double[data.Count][];
        for (int start = 0; start < data.Count; start += Chunk)
        {
            int n = Math.Min(Chunk, data.Count - start);
            var x = new float[n * _sampleSize];
            for (int i = 0; i < n; i++) data.CopyRaw(start + i, x.AsSpan(i * _sampleSize, _sampleSize));
            PredictChunk(x, n, result.AsSpan(start, n));
            Predicted?.Invoke(start + n, data.Count);
        }
        return result;
    }

    /// <summary>Inputs per forward pass: bounds the memory of predicting many inputs.</summary>
    private const int Chunk = 256;

    /// <summary>Standardises <paramref name="x"/> (<paramref name="n"/> raw inputs) in place and writes their probabilities.</summary>
    private void PredictChunk(float[] x, int n, Span<double[]> result)
    {
        int c = Spec.NumClasses, stats = Spec.Mean.Length, plane = _sampleSize / stats;
        bool image = Spec.InputKind == ModelSpec.ImageInput;
        for (int j = 0; j < x.Length; j++)
        {
            int s = image ? j % _sampleSize / plane : j % _sampleSize;
            float v = (x[j] - Spec.Mean[s]) / Spec.Std[s];
            x[j] = float.IsNaN(v) ? 0f : v; // a missing value is imputed with the training mean
        }
        float[] logits;
        using (Tensor.NoGrad())
            logits = _model.Forward(new Tensor(x, [n, .. Spec.InputShape])).Data.ToArray();
        for (int i = 0; i < n; i++) result[i] = Probabilities(logits.AsSpan(i * c, c));
    }

    /// <summary>
    /// softmax(logits / T) in float64, or sigmoid(logit / T) per logit for multi-label models (T = <see cref="ModelSpec.Temperature"/>, as
    /// the ONNX export applies it).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="logits"/> does not hold one logit per class of the model.</exception>
    public double[] Probabilities(ReadOnlySpan<float> logits)
    {
        if (logits.Length != Spec.NumClasses)
            throw new ArgumentException($"{logits.Length} logit(s) given; the model has {Spec.NumClasses} classes.", nameof(logits));
        var p = new double[logits.Length];
        double t = Spec.Temperature;
        if (Spec.MultiLabel)
        {
            for (int k = 0; k < p.Length; k++) p[k] = 1 / (1 + Math.Exp(-logits[k] / t));
            return p;
        }
        double max = double.NegativeInfinity, sum = 0;
        foreach (float l in logits) max = Math.Max(max, l / t);
        for (int k = 0; k < p.Length; k++) sum += p[k] = Math.Exp(logits[k] / t - max);
        for (int k = 0; k < p.Length; k++) p[k] /= sum;
        return p;
    }

    /// <summary>
    /// Reads raw inputs from <paramref name="path"/>: one image, a folder of images (recursively, sorted), a CSV/TSV file
    /// (one input per row; label columns may be absent) or a .npy file; returns each input's name (the file, or the row index) and values.
    /// </summary>
    /// <exception cref="InvalidDataException">The path is none of those, or its inputs do not fit the spec.</exception>
    public (string[] Names, float[] Raw) ReadInputs(string path)
    {
        var (names, data) = ReadData(path, null);
        var raw = new float[(long)data.Count * _sampleSize];
        for (int i = 0; i < data.Count; i++) data.CopyRaw(i, raw.AsSpan(i * _sampleSize, _sampleSize));
        return (names, raw);
    }

    /// <summary>
    /// <see cref="ReadInputs"/> as a dataset (images as 8-bit pixels), whose targets, if any, are not used; with a warning when an
    /// image model's inputs look like another scale than its training data (<see cref="InputScale"/>).
    /// </summary>
    private (string[] Names, ArrayDataset Data) ReadData(string path, Action<int, int>? progress)
    {
        var (names, data) = ReadAny(path, progress);
        InputScale.Warn(Spec, data, path);
        return (names, data);
    }

    private (string[] Names, ArrayDataset Data) ReadAny(string path, Action<int, int>? progress)
    {
        var options = new DataOptions { Spec = Spec, LabelsOptional = true, Progress = progress, CommandLine = CommandLine };
        // Any folder but an IDX one is read for its images (recursively), so that one without any says so.
        var kind = Directory.Exists(path) && !DatasetFactory.IsIdx(path) ? DataSourceKind.ImageFiles
            : DatasetFactory.Detect(path, CommandLine);
        switch (kind)
        {
            case DataSourceKind.Image:
                return ([path], Images([path]));
            case DataSourceKind.ImageFolder or DataSourceKind.ImageFiles:
                var files = ImageFolderSource.ImageFiles(path);
                if (files.Length == 0)
                    throw new InvalidDataException($"'{path}' holds no images ({string.Join(", ", ImageFolderSource.Extensions)}).");
                return (files, Images(files));
            case DataSourceKind.Csv or DataSourceKind.Npy:
                var data = DatasetFactory.Load(path, options);
                return (Enumerable.Range(0, data.Count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray(), data);
            default:
                throw new InvalidDataException($"'{path}' is an IDX folder; evaluate it with " +
                    (CommandLine ? "xent eval" : "DatasetFactory.LoadIdx and Evaluator.Evaluate") +
                    ", or pass images, a CSV or a .npy file.");
        }

        ArrayDataset Images(string[] files)
        {
            var pixels = ImageFolderSource.LoadPixels(files, options, out var shape);
            return ArrayDataset.FromPixels(pixels, shape, new long[files.Length], Spec.ClassNames);
        }
    }

    /// <summary>
    /// Reads <paramref name="path"/> (see <see cref="ReadInputs"/>) and predicts every input; <paramref name="progress"/> is told
    /// how the decoding of image files goes (see <see cref="DataOptions.Progress"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException"><paramref name="path"/> does not exist.</exception>
    /// <exception cref="InvalidDataException">The file or folder cannot be read as inputs of the model's spec.</exception>
    /// <exception cref="IOException">Reading fails.</exception>
    public IReadOnlyList<(string Input, double[] Probabilities)> PredictPath(string path, Action<int, int>? progress = null)
    {
        var (names, data) = ReadData(path, progress);
        var p = PredictData(data);
        return names.Select((n, i) => (n, p[i])).ToArray();
    }
}
