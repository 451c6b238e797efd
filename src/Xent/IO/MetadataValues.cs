using System.Globalization;

namespace Xent.IO;

/// <summary>
/// Reads numbers out of a checkpoint's string metadata (<see cref="SafeTensorsFile.Metadata"/>) with range checks, so
/// that a corrupt or hostile value (<c>"epoch": "2147483647"</c>) is a clear <see cref="InvalidDataException"/> instead
/// of an overflow later (an epoch counter that wraps around and runs practically forever).
/// </summary>
internal static class MetadataValues
{
    /// <summary>
    /// The integer under <paramref name="key"/>, which must be plain decimal digits (an optional leading minus) in
    /// [<paramref name="min"/>, <paramref name="max"/>].
    /// </summary>
    /// <param name="metadata">The metadata.</param>
    /// <param name="key">The entry, e.g. <c>epoch</c>.</param>
    /// <param name="min">Smallest value allowed.</param>
    /// <param name="max">Largest value allowed.</param>
    /// <param name="source">Names the file in the message.</param>
    /// <exception cref="InvalidDataException">The entry is missing, not an integer, or out of range.</exception>
    public static int GetInt32(IReadOnlyDictionary<string, string> metadata, string key, int min, int max, string source)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue(key, out var text))
            throw new InvalidDataException($"'{source}': the metadata has no '{key}' entry.");
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) || value < min || value > max)
            throw new InvalidDataException(
                $"'{source}': metadata '{key}' is \"{Shorten(text)}\"; expected an integer in [{min}, {max}].");
        return (int)value;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
