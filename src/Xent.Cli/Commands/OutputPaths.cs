namespace Xent.Cli.Commands;

/// <summary>
/// Checks a path the user named for a command's output before any work starts: it must name a file, and never one of the
/// command's own inputs, which writing it would destroy (an <c>export --out</c> equal to <c>--checkpoint</c> replaced the
/// trained model with the ONNX file).
/// </summary>
internal static class OutputPaths
{
    /// <summary>Whether two paths name the same file: the same full path once symbolic links are followed.</summary>
    public static bool SameFile(string a, string b) =>
        string.Equals(Resolve(a), Resolve(b), OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The error (without <c>error:</c>) for an output path that is a folder or one of <paramref name="inputs"/>, or null when
    /// it may be written.
    /// </summary>
    /// <param name="path">The output path.</param>
    /// <param name="option">Its option, for the message (<c>--out</c>).</param>
    /// <param name="example">A file name to suggest instead (<c>model.onnx</c>).</param>
    /// <param name="inputs">The command's input paths with their options; null ones are skipped.</param>
    public static string? Check(string path, string option, string example, params ReadOnlySpan<(string? Path, string Option)> inputs)
    {
        if (string.IsNullOrWhiteSpace(path) || Directory.Exists(path) || Path.EndsInDirectorySeparator(path))
            return $"{option} '{path}' is a folder; name a file such as {example}.";
        foreach (var (input, inputOption) in inputs)
            if (input is not null && SameFile(path, input))
                return $"{option} '{path}' is the {inputOption} file; writing it would destroy that input. Name another file such as " +
                    $"{example}.";
        return null;
    }

    private static string Resolve(string path)
    {
        string full = Path.GetFullPath(path);
        try
        {
            return File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
        }
        catch (IOException)
        {
            return full; // a link loop or an unreadable link: compare the path as given
        }
    }
}
