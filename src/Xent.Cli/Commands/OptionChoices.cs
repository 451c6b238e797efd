using System.CommandLine;

namespace Xent.Cli.Commands;

/// <summary>
/// The values an enumerated option (or argument) takes are matched in any case and read as their lower-case name, as PyTorch
/// spells its strings (<c>reduction='mean'</c>) and as checkpoints record them: <c>--optimizer SGD</c>, as
/// <c>torch.optim.SGD</c> is written, and <c>--format ONNX</c> are the same as <c>sgd</c> and <c>onnx</c>. Every enumerated
/// value goes through here, so no option takes one case and refuses another; a value not among them is refused in one line
/// that names the option and lists the values.
/// </summary>
internal static class OptionChoices
{
    /// <summary>
    /// Restricts <paramref name="option"/> to <paramref name="values"/> in any case, read as the value's own spelling, and offers
    /// them in help (<c>&lt;a|b|c&gt;</c>) and completions.
    /// </summary>
    /// <typeparam name="T"><see cref="string"/>, nullable or not.</typeparam>
    public static void AcceptOnly<T>(Option<T> option, params string[] values) where T : class?
    {
        option.CompletionSources.Add(values);
        option.CustomParser = result =>
        {
            string token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (Canonical(token, values) is { } value) return (T)(object)value;
            result.AddError(Refusal(option.Name, token, values));
            return null;
        };
    }

    /// <summary>
    /// The one of <paramref name="values"/> that <paramref name="given"/> spells in any case, or null (also for a null
    /// <paramref name="given"/>).
    /// </summary>
    public static string? Canonical(string? given, IReadOnlyList<string> values) =>
        given is null ? null : values.FirstOrDefault(v => string.Equals(v, given, StringComparison.OrdinalIgnoreCase));

    /// <summary>The refusal (without <c>error:</c>) of <paramref name="given"/> for <paramref name="name"/>, listing the values.</summary>
    public static string Refusal(string name, string given, IReadOnlyList<string> values) =>
        $"{name} '{given}' is not one of: {string.Join(", ", values)}.";
}
