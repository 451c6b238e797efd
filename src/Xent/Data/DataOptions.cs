using Xent.Training;

namespace Xent.Data;

/// <summary>How <see cref="DatasetFactory"/> and the file sources read a dataset. Every member is optional.</summary>
public sealed record DataOptions
{
    /// <summary>CSV: the label column (string or integer labels). Default: the spec's target column, else the last column.</summary>
    public string? Target { get; init; }

    /// <summary>CSV: the feature columns, in order. Default: every column that is not a label.</summary>
    public IReadOnlyList<string>? Features { get; init; }

    /// <summary>
    /// CSV: 0/1 label columns of a multi-label problem (instead of <see cref="Target"/>). With <see cref="Spec"/> leave it out: the
    /// model's labels are read (given, it must name them in their order).
    /// </summary>
    public IReadOnlyList<string>? MultiLabel { get; init; }

    /// <summary>
    /// CSV: accept empty numeric cells as missing (NaN), which standardisation replaces by the training mean. Default: an error.
    /// </summary>
    public bool ImputeMissing { get; init; }

    /// <summary>.npy: the labels file that goes with the features file.</summary>
    public string? Labels { get; init; }

    /// <summary>Image folders: resize every image to (height, width). Default: all images must already share one size.</summary>
    public (int Height, int Width)? ImageSize { get; init; }

    /// <summary>
    /// The checkpoint's spec, when reading data for a trained model (eval, predict): features, channels, image size and
    /// class names then come from it, and the data must fit it (images are resized to its size).
    /// </summary>
    public ModelSpec? Spec { get; init; }

    /// <summary>Accept data without labels (predict): the targets are then all 0 and meaningless.</summary>
    public bool LabelsOptional { get; init; }

    /// <summary>
    /// Told how a long read goes, as (done, all): image files decoded, from the decoding threads (so not always in order) about
    /// once per percent of them; or, for a CSV/TSV file, megabytes of the file read (compressed ones for .gz; all rounded up),
    /// once per megabyte. A .npy pair and IDX files do not call it. Null: nobody is told.
    /// </summary>
    public Action<int, int>? Progress { get; init; }

    /// <summary>
    /// Whose classes <see cref="Spec"/>'s are, in the error for a label outside them: the model's, or when training reads its
    /// held-out data against the training data's classes, those.
    /// </summary>
    internal string ClassesOwner { get; init; } = "the model's classes";

    /// <summary>
    /// .npy: who needs one class per sample ("--labels 'y.npy'", "the checkpoint 'c.safetensors'"), for a run without a
    /// <see cref="Spec"/> that is single-label all the same; an (N, L) labels matrix is then refused, naming it. Null: only a
    /// single-label <see cref="Spec"/> refuses one (as "the model").
    /// </summary>
    internal string? SingleLabelOwner { get; init; }

    /// <summary>
    /// A CSV file's classes as a resumed run's checkpoint orders and spells them: when the label column holds exactly these
    /// classes (a label matching one by name or by numeric value, <c>0</c> for <c>0.0</c>), they keep this order instead of
    /// the sorted one, so that a checkpoint from before a change of the sorting rule still fits. Other labels: ignored.
    /// </summary>
    internal IReadOnlyList<string>? ClassOrder { get; init; }

    /// <summary>
    /// Image files: told the (height, width) every image will have once it is known (the target size, or the first image's from
    /// its header), before any image is decoded; it throws to refuse a size the model cannot take. Null: any size.
    /// </summary>
    internal Action<int, int>? CheckImageSize { get; init; }

    /// <summary>
    /// Image files: the pixels that may be decoded at once; null for the one every read shares
    /// (<see cref="ImageFolderSource.DecodeBudget"/>). A test gives its own, to see how much was held.
    /// </summary>
    internal PixelBudget? DecodeBudget { get; init; }

    /// <summary>
    /// .npy: told the features file's length in bytes and the SHA-256 of its bytes (lower-case hex), hashed as it is read, so
    /// the file is not read a second time for them (a pipe could not be). The CLI records them in a checkpoint, to tell a copy of
    /// the training data later. Null: nothing is hashed.
    /// </summary>
    internal Action<long, string>? Fingerprinted { get; init; }

    /// <summary>
    /// .npy: told the labels file's (<see cref="Labels"/>) length in bytes and SHA-256, hashed by the read that takes its values,
    /// as <see cref="Fingerprinted"/> is the features file's: the same features with other labels are other data. Null: not hashed.
    /// </summary>
    internal Action<long, string>? LabelsFingerprinted { get; init; }

    /// <summary>
    /// True when the reader serves the command line (the CLI sets it): its messages then name the options as flags
    /// (<c>--missing mean</c>), where a library user is told the members of this record (<see cref="ImputeMissing"/>).
    /// </summary>
    internal bool CommandLine { get; init; }

    /// <summary>
    /// <paramref name="commandLine"/> for the CLI (<see cref="CommandLine"/>), <paramref name="library"/> otherwise: advice that
    /// names an option (qa-s21-tutorial L1).
    /// </summary>
    internal string Advice(string commandLine, string library) => CommandLine ? commandLine : library;
}
