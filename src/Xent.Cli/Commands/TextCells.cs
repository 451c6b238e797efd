using System.Globalization;
using System.Text;
using Spectre.Console;

namespace Xent.Cli.Commands;

/// <summary>
/// Cells of the text tables (eval's per-class tables and confusion matrix, predict's table), padded by the columns a terminal
/// gives them rather than by UTF-16 length: a CJK character or an emoji takes two columns, a combining mark none (Spectre.Console's
/// width tables), so that names such as <c>中文</c> no longer shift the columns after them. Control characters, which a file
/// or class name may hold, are shown as <c>\xNN</c> escapes: a raw line break split a table row in two.
/// </summary>
internal static class TextCells
{
    /// <summary>
    /// <paramref name="text"/> with control characters (and the invisible direction marks and line separators) escaped, as
    /// <see cref="CliHost.Clean"/> escapes them, line breaks and tabs included.
    /// </summary>
    public static string Printable(string text)
    {
        if (!text.Any(NeedsEscape)) return text;
        var sb = new StringBuilder(text.Length + 8);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) sb.Append(c).Append(text[++i]);
            else if (char.IsControl(c)) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else if (NeedsEscape(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private static bool NeedsEscape(char c) => char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029' or '\u200e'
        or '\u200f' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069');

    /// <summary>The columns <paramref name="text"/> takes on a terminal (of its <see cref="Printable"/> form).</summary>
    public static int Width(string text) => Math.Max(0, Printable(text).GetCellWidth());

    /// <summary><paramref name="text"/>, printable, followed by spaces up to <paramref name="width"/> columns.</summary>
    public static string PadRight(string text, int width)
    {
        string shown = Printable(text);
        return shown + new string(' ', Math.Max(0, width - Width(shown)));
    }

    /// <summary><paramref name="text"/>, printable, after spaces up to <paramref name="width"/> columns.</summary>
    public static string PadLeft(string text, int width)
    {
        string shown = Printable(text);
        return new string(' ', Math.Max(0, width - Width(shown))) + shown;
    }
}
