using System.Globalization;
using System.Text.RegularExpressions;

namespace Xent.Cli;

/// <summary>
/// Rewords System.CommandLine's "Cannot parse argument 'abc' for option '--lr' as expected type
/// 'System.Nullable`1[System.Double]'." in the user's terms: "… for option '--lr': expected a number." The .NET type name
/// means nothing to someone typing a command line. Messages of any other form are returned as they are.
/// </summary>
internal static partial class ParseErrorText
{
    /// <summary>The message with its .NET type name replaced by what the option takes (a number, an integer, …).</summary>
    public static string Friendly(string message)
    {
        var m = ExpectedType().Match(message);
        if (!m.Success) return message;
        string token = m.Groups["token"].Value;
        string? expected = Expected(m.Groups["type"].Value, token);
        return expected is null ? message : $"{m.Groups["what"].Value}: expected {expected}.{message[(m.Index + m.Length)..]}";
    }

    /// <summary>What a value of <paramref name="type"/> (Type.ToString()'s text) is called, or null for a type not named here.</summary>
    private static string? Expected(string type, string token)
    {
        // Option<int?> is named "System.Nullable`1[System.Int32]".
        if (type.StartsWith("System.Nullable`1[", StringComparison.Ordinal) && type.EndsWith(']')) type = type[18..^1];
        return type switch
        {
            "System.Double" or "System.Single" => "a number",
            "System.Int32" => Integer(token, int.MinValue, int.MaxValue),
            "System.Int64" => Integer(token, long.MinValue, long.MaxValue),
            "System.Boolean" => "true or false",
            _ => null,
        };
    }

    /// <summary>"an integer", with its range when <paramref name="token"/> is an integer too large for the option.</summary>
    private static string Integer(string token, long min, long max) =>
        System.Numerics.BigInteger.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
            ? string.Create(CultureInfo.InvariantCulture, $"an integer from {min} to {max}")
            : "an integer";

    [GeneratedRegex(
        @"^(?<what>Cannot parse argument '(?<token>.*?)'(?: for (?:option|command) '[^']*')?) as expected type '(?<type>[^']+)'\.",
        RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex ExpectedType();
}
