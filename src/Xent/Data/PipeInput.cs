namespace Xent.Data;

/// <summary>
/// The refusal of a pipe (a FIFO, or a link to /dev/stdin fed by <c>cat … |</c>) given where xent reads a file more than once:
/// a pipe gives its bytes once, so the second read would start mid-file. One wording for CSV files, images and labels.
/// </summary>
internal static class PipeInput
{
    /// <summary>
    /// The error for pipe <paramref name="path"/> holding <paramref name="kind"/> (e.g. "a CSV file"), which xent reads as
    /// <paramref name="reads"/>; <paramref name="example"/> is a file name to save it to.
    /// </summary>
    public static InvalidDataException ReadTwice(string path, string kind, string reads, string example) =>
        new($"'{path}' is a pipe (or a link to one, such as /dev/stdin), which can be read only once, and xent reads {kind} more " +
            $"than once ({reads}); save it to a file first (… > {example}) and pass that.");
}
