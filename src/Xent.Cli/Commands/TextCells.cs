using System.Globalization;
using System.Text;
using Spectre.Console;

namespace Xent.Cli.Commands;

/// <summary>
/// Cells of the text tables (eval's per-class tables and confusion matrix, predict's table), padded by the columns a terminal
/// gives them rather than by UTF-16 length: a CJK character or an emoji takes two columns, a combining mark none (grapheme
/// clusters, <see cref="Columns"/>), so that names such as <c>中文</c> no longer shift the columns after them. Control
/// characters, which a file or class name may hold, are shown as <c>\xNN</c> escapes: a raw line break split a table row in
/// two.
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
    public static int Width(string text) => Columns(Printable(text));

    /// <summary>
    /// The columns <paramref name="shown"/> (already printable) takes on a terminal: a sum over its grapheme clusters (what a
    /// terminal draws as one character), as terminals count them: a regional-indicator pair (a flag), a cluster with an emoji
    /// presentation (U+FE0F) or one that starts with a wide character (CJK, an emoji, and so an emoji family joined by U+200D)
    /// takes two; any other cluster the sum of its characters (Spectre.Console's width tables: none for combining and format
    /// marks), since the vowel signs of Devanagari, Tamil or Thai (हिं, கொ, กำ) take a column of their own. Spectre alone counted a
    /// zero-width joiner as one column, a flag as four and an emoji family as six (qa-s19-a L2); the first character alone cut
    /// हिंदी's four columns to two (qa-s20-b M1).
    /// </summary>
    public static int Columns(string shown)
    {
        int columns = 0;
        var clusters = StringInfo.GetTextElementEnumerator(shown);
        while (clusters.MoveNext()) columns += ClusterColumns(clusters.GetTextElement());
        return columns;
    }

    private static int ClusterColumns(string cluster)
    {
        if (Rune.DecodeFromUtf16(cluster, out Rune first, out _) != System.Buffers.OperationStatus.Done) return 1;
        // A flag (two regional indicators; a lone one has emoji presentation too), or an emoji asked for by U+FE0F.
        if (first.Value is >= 0x1F1E6 and <= 0x1F1FF || cluster.Contains('\uFE0F', StringComparison.Ordinal)) return 2;
        if (RuneColumns(first) == 2) return 2;
        int columns = 0;
        foreach (Rune r in cluster.EnumerateRunes()) columns += RuneColumns(r);
        return columns;
    }

    private static int RuneColumns(Rune r)
    {
        // Zero-width: format characters (a joiner, a zero-width space), non-spacing and enclosing marks; the soft hyphen shows as '-'.
        if (r.Value != 0xAD && Rune.GetUnicodeCategory(r) is UnicodeCategory.Format or UnicodeCategory.NonSpacingMark
                or UnicodeCategory.EnclosingMark or UnicodeCategory.Control)
            return 0;
        return Math.Clamp(r.ToString().GetCellWidth(), 0, 2); // Spectre gives a Hangul syllable (한) four
    }

    /// <summary>The invisible LEFT-TO-RIGHT MARK (U+200E, zero columns wide) <see cref="Shown"/> puts after right-to-left text.</summary>
    public const char LeftToRightMark = '\u200e';

    /// <summary>
    /// <paramref name="text"/> as a table cell shows it: <see cref="Printable"/>, and followed by a <see cref="LeftToRightMark"/>
    /// when it holds a right-to-left letter (Hebrew, Arabic, …). A terminal that applies the Unicode bidi algorithm (VTE, Konsole,
    /// mlterm) otherwise takes the spaces and numbers after such a name as part of its right-to-left run, and shows the rest of
    /// the row reversed, the numbers under the wrong headers (qa-s19-a M1). The mark, a strong left-to-right character, ends the
    /// run at the name. It is Unicode 1.1's, zero width and drawn as nothing by terminals without bidi too, where the isolates
    /// (U+2066–U+2069, Unicode 6.3) are not known to all; and it goes only after names that need it.
    /// </summary>
    public static string Shown(string text)
    {
        string shown = Printable(text);
        return HoldsRightToLeft(shown) ? shown + LeftToRightMark : shown;
    }

    /// <summary>
    /// Whether <paramref name="text"/> holds a character of the ranges Unicode gives right-to-left scripts (DerivedBidiClass.txt's
    /// defaults R and AL): besides the letters, their marks and Arabic-Indic digits, which a mark after them does not hurt.
    /// </summary>
    private static bool HoldsRightToLeft(string text)
    {
        foreach (Rune r in text.EnumerateRunes())
            if (r.Value is >= 0x0590 and <= 0x08FF // Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic, Arabic extended
                or >= 0xFB1D and <= 0xFDFF // Hebrew and Arabic presentation forms
                or >= 0xFE70 and <= 0xFEFE // Arabic presentation forms B (not U+FEFF, the byte-order mark)
                or >= 0x10800 and <= 0x10FFF // Phoenician, Kharoshthi, Avestan, Old Turkic, Hanifi Rohingya, Yezidi, …
                or >= 0x1E800 and <= 0x1EFFF) // Mende Kikakui, Adlam, Arabic mathematical letters
                return true;
        return false;
    }

    /// <summary><paramref name="text"/>, <see cref="Shown"/>, followed by spaces up to <paramref name="width"/> columns.</summary>
    public static string PadRight(string text, int width) => PadShownRight(Shown(text), width);

    /// <summary><paramref name="shown"/> (already <see cref="Shown"/>) followed by spaces up to <paramref name="width"/> columns.</summary>
    public static string PadShownRight(string shown, int width) => shown + new string(' ', Math.Max(0, width - Columns(shown)));

    /// <summary><paramref name="text"/>, <see cref="Shown"/>, after spaces up to <paramref name="width"/> columns.</summary>
    public static string PadLeft(string text, int width)
    {
        string shown = Shown(text);
        return new string(' ', Math.Max(0, width - Columns(shown))) + shown;
    }
}
