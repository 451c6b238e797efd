using System.Text.RegularExpressions;

namespace Xent.Diagnostics;

/// <summary>
/// Input quoted in an error message, cut to its first characters: a message that quotes a file's bytes (a checkpoint's JSON
/// header, a metadata value, a decoder's text) must stay one readable line however large the file is.
/// </summary>
internal static partial class Excerpt
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

    /// <summary>
    /// Another library's <paramref name="message"/> about input it read, such as System.Text.Json's, which quotes the rest of the
    /// document from where it failed (<c>'n828]},"optimizer.state.0.step":{…' is an invalid JSON literal</c>): each quoted run is cut
    /// to 60 characters, so that what the library says after it is kept, and the whole to <see cref="MaxLength"/> more.
    /// </summary>
    public static string OfMessage(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        string cut = LongQuote().Replace(message.ReplaceLineEndings(" "), m => "'" + m.Groups[1].Value[..60] + "…'");
        return cut.Length <= 2 * MaxLength ? cut : cut[..(2 * MaxLength)] + "…";
    }

    [GeneratedRegex("'([^']{61,})'")]
    private static partial Regex LongQuote();
}
