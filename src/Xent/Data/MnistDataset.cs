using System.Runtime.Intrinsics.X86;

namespace Xent.Data;

/// <summary>
/// MNIST or Fashion-MNIST (same IDX format) held as raw bytes in memory and converted to float per batch,
/// like torchvision's <c>datasets.MNIST(root, train, transform=...)</c> without the download. Samples are
/// <c>(1, H, W)</c> (28 × 28 for both datasets), targets are class indices 0–9.
/// <code>
/// var transform = new Compose(new ToTensor(), new Normalize(0.1307, 0.3081));
/// var train = new MnistDataset("data", train: true, transform);
/// </code>
/// </summary>
/// <remarks>
/// With no transform the inputs are the pixel values 0–255 as float. The pointwise transforms (<see cref="ToTensor"/>,
/// <see cref="Normalize"/>) are fused into one lookup per pixel and give bit-identical results to torchvision's.
/// </remarks>
public sealed class MnistDataset : IDataset
{
    /// <summary>Number of classes (digits, or Fashion-MNIST's ten kinds of clothing).</summary>
    public const int NumClasses = 10;

    private readonly byte[] _images;
    private readonly byte[] _labels;
    private readonly int[] _sampleShape;
    private readonly int _sampleSize;
    private readonly BytePipeline _pipeline;

    /// <summary>
    /// Reads <c>train-images-idx3-ubyte</c>/<c>train-labels-idx1-ubyte</c> (or <c>t10k-*</c> when <paramref name="train"/>
    /// is false), raw or <c>.gz</c>, from <paramref name="root"/>, or from torchvision's <c>root/MNIST/raw</c> or
    /// <c>root/FashionMNIST/raw</c>.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> does not exist.</exception>
    /// <exception cref="FileNotFoundException">A file is in none of the directories (the message lists what was tried).</exception>
    /// <exception cref="InvalidDataException">A malformed file, or images and labels that do not fit together (the message names the
    /// files).</exception>
    public MnistDataset(string root, bool train = true, Transform? transform = null)
        : this(Locate(root, train), transform) { }

    private MnistDataset((string Images, string Labels) paths, Transform? transform)
        : this(IdxReader.Read(paths.Images), IdxReader.Read(paths.Labels), transform, paths.Images, paths.Labels) { }

    /// <summary>Wraps IDX arrays already in memory (images <c>(N, H, W)</c>, labels <c>(N)</c>); they are not copied.</summary>
    /// <param name="images">The images.</param>
    /// <param name="labels">The labels, 0–9.</param>
    /// <param name="transform">Applied to each sample; null keeps the pixel values 0–255.</param>
    /// <param name="imagesName">Names the images in error messages (a path).</param>
    /// <param name="labelsName">Names the labels in error messages (a path).</param>
    /// <exception cref="InvalidDataException">Wrong ranks, empty images, different counts, or a label above 9.</exception>
    public MnistDataset(IdxArray images, IdxArray labels, Transform? transform = null, string imagesName = "images",
        string labelsName = "labels")
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.Rank != 3)
            throw new InvalidDataException($"'{imagesName}' must hold images of shape (N, H, W), but its IDX array has shape " +
                $"({string.Join(", ", images.Shape)}).");
        if (labels.Rank != 1)
            throw new InvalidDataException($"'{labelsName}' must hold labels of shape (N), but its IDX array has shape " +
                $"({string.Join(", ", labels.Shape)}).");
        if (images.Dim(0) != labels.Dim(0))
            throw new InvalidDataException($"'{imagesName}' holds {images.Dim(0)} images but '{labelsName}' holds {labels.Dim(0)} " +
                "labels; they must be the same number.");
        if (images.Dim(1) == 0 || images.Dim(2) == 0)
            throw new InvalidDataException($"'{imagesName}' holds images of size {images.Dim(1)} x {images.Dim(2)}; expected non-empty " +
                "images (28 x 28 for MNIST).");
        var labelBytes = labels.Data;
        for (int i = 0; i < labelBytes.Length; i++)
            if (labelBytes[i] >= NumClasses)
                throw new InvalidDataException(
                    $"'{labelsName}': label {labelBytes[i]} of sample {i} (byte offset {8 + i} of the label data) is not a class index " +
                        $"0..{NumClasses - 1}.");
        _images = images.Data;
        _labels = labelBytes;
        Count = images.Dim(0);
        Height = images.Dim(1);
        Width = images.Dim(2);
        _sampleShape = [1, Height, Width];
        _sampleSize = Height * Width;
        Transform = transform;
        ImagesPath = imagesName;
        LabelsPath = labelsName;
        _pipeline = new BytePipeline(transform, _sampleShape);
    }

    private static (string, string) Locate(string root, bool train)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"Dataset directory '{root}' does not exist.");
        var (imagesName, labelsName) = FileNames(train);
        FileNotFoundException? first = null;
        foreach (var dir in SearchFolders(root))
        {
            if (!Directory.Exists(dir)) continue;
            try { return (IdxReader.FindFile(dir, imagesName), IdxReader.FindFile(dir, labelsName)); }
            catch (FileNotFoundException e) { first ??= e; }
        }
        throw new FileNotFoundException(
            $"{first!.Message} Also looked in '{Path.Combine(root, "MNIST", "raw")}' and '{Path.Combine(root, "FashionMNIST", "raw")}'.",
            first.FileName);
    }

    /// <summary>
    /// The folders an IDX root is searched in, in order: the root itself, then torchvision's <c>MNIST/raw</c> and
    /// <c>FashionMNIST/raw</c> below it. The one list that the dataset, <see cref="DatasetFactory.IsIdx"/> and the CLI's
    /// "what is missing" check all use, so that they agree on where the files are.
    /// </summary>
    internal static string[] SearchFolders(string root) =>
        [root, Path.Combine(root, "MNIST", "raw"), Path.Combine(root, "FashionMNIST", "raw")];

    /// <summary>The images and labels base names of the training (<c>train-…</c>) or test (<c>t10k-…</c>) split.</summary>
    internal static (string Images, string Labels) FileNames(bool train)
    {
        string prefix = train ? "train" : "t10k";
        return ($"{prefix}-images-idx3-ubyte", $"{prefix}-labels-idx1-ubyte");
    }

    /// <summary>
    /// Null when one of <see cref="SearchFolders"/> of <paramref name="root"/> holds both files of the split (what the
    /// constructor reads); otherwise the base names missing from the folder that holds the most of them (the root when
    /// none holds any).
    /// </summary>
    internal static string[]? MissingFiles(string root, bool train)
    {
        var (images, labels) = FileNames(train);
        string[]? fewest = null;
        foreach (var dir in SearchFolders(root))
        {
            if (!Directory.Exists(dir)) continue;
            var missing = new[] { images, labels }.Where(name => !Exists(dir, name)).ToArray();
            if (missing.Length == 0) return null;
            if (fewest is null || missing.Length < fewest.Length) fewest = missing;
        }
        return fewest ?? [images, labels];

        static bool Exists(string dir, string name)
        {
            try { IdxReader.FindFile(dir, name); return true; }
            catch (FileNotFoundException) { return false; }
        }
    }

    /// <inheritdoc/>
    public int Count { get; }

    /// <summary>Image height in pixels.</summary>
    public int Height { get; }

    /// <summary>Image width in pixels.</summary>
    public int Width { get; }

    /// <inheritdoc/>
    public IReadOnlyList<int> SampleShape => _sampleShape;

    /// <summary>The transform applied to each sample, or null.</summary>
    public Transform? Transform { get; }

    /// <summary>The images file (or the name given for in-memory arrays).</summary>
    public string ImagesPath { get; }

    /// <summary>The labels file (or the name given for in-memory arrays).</summary>
    public string LabelsPath { get; }

    /// <summary>The raw pixels, <c>Count × Height × Width</c> bytes, row-major.</summary>
    public ReadOnlySpan<byte> Images => _images;

    /// <summary>The raw labels, one byte per sample.</summary>
    public ReadOnlySpan<byte> Labels => _labels;

    /// <inheritdoc/>
    public void CopySample(int index, Span<float> destination)
    {
        DatasetChecks.Index(index, Count);
        if (destination.Length != _sampleSize)
            throw new ArgumentException($"The destination holds {destination.Length} floats; a sample has {_sampleSize}.",
                nameof(destination));
        _pipeline.Convert(_images.AsSpan(index * _sampleSize, _sampleSize), destination);
    }

    /// <summary>
    /// One sample as a new tensor and its target, like <c>dataset[index]</c>; allocates (use a <see cref="DataLoader"/> to train).
    /// </summary>
    public (Tensor Input, long Target) Get(int index) => DatasetChecks.Get(this, index);

    /// <inheritdoc/>
    public long Target(int index)
    {
        DatasetChecks.Index(index, Count);
        return _labels[index];
    }

    private unsafe void Prefetch(int index)
    {
        if (!Sse.IsSupported || (uint)index >= (uint)Count) return;
        fixed (byte* p = &_images[index * _sampleSize])
            for (int offset = 0; offset < _sampleSize; offset += 64) Sse.Prefetch0(p + offset);
    }

    /// <inheritdoc/>
    public void CopyBatch(ReadOnlySpan<int> indices, Span<float> inputs, Span<long> targets)
    {
        DatasetChecks.BatchSpans(indices.Length, _sampleSize, inputs.Length, targets.Length);
        for (int k = 0; k < indices.Length; k++)
        {
            int index = indices[k];
            DatasetChecks.Index(index, Count);
            // Shuffled samples are scattered over ~47 MB: fetch the next one while converting this one.
            if (k + 1 < indices.Length) Prefetch(indices[k + 1]);
            _pipeline.Convert(_images.AsSpan(index * _sampleSize, _sampleSize), inputs.Slice(k * _sampleSize, _sampleSize));
            targets[k] = _labels[index];
        }
    }
}
