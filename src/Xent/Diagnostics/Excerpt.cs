namespace Xent.Diagnostics;

/// <summary>
/// Input quoted in an error message, cut to its first characters: a message that quotes a file's bytes (a checkpoint's JSON
/// header, a metadata value, a decoder's text) must stay one readable line however large the file is.
/// </summary>
internal static class Excerpt
{
    /// <summary>The most characters of input a message quotes.</summary>
    public const int MaxLength = 200;

    /// <summary><paramref name="text"/> on one line, cut to <see cref="MaxLength"/> characters and "…" when longer.</summary>
    public static string Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string line = text.ReplaceLineEndings(" ");
        return line.Length <= MaxLength ? line : line[..MaxLength] + "…";
    }
}
