namespace Xent.Data;

/// <summary>
/// Cells that stand for a missing value in a column of numbers: <c>NA</c> as R writes it, <c>#N/A</c> as Excel does,
/// <c>NULL</c> from databases, <c>?</c> as the UCI repository's files have it, and similar (any letter case). A numeric
/// column holding them is read with those cells missing, as an empty cell is; in a column with other text they are one
/// more value.
/// </summary>
internal static class MissingMarkers
{
    private static readonly HashSet<string> s_markers = new(StringComparer.OrdinalIgnoreCase)
    {
        "NA", "N/A", "#N/A", "#NA", "<NA>", "NULL", "None", "nil", "missing", "?", "-", "--", ".",
    };

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> s_lookup =
        s_markers.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Whether <paramref name="cell"/> (already trimmed) is one of the markers.</summary>
    public static bool Contains(ReadOnlySpan<char> cell) => cell.Length <= 7 && s_lookup.Contains(cell);
}
