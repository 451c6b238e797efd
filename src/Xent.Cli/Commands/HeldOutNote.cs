using System.Globalization;

namespace Xent.Cli.Commands;

/// <summary>
/// train's log line for the part of --data it holds out (<see cref="Xent.Data.DataSplits.Stratified"/>). Its percentage is the
/// part actually held out: class by class the share is rounded, and a class of two samples or more gives at least one and keeps
/// at least one, so many small classes hold out more than --val-split (sklearn's diabetes target: 130 of 442 samples for 10%,
/// qa-s21-seen M6). The line then says why.
/// </summary>
internal static class HeldOutNote
{
    /// <summary>
    /// "Held out a stratified 10% of <paramref name="what"/> (44 of 442 samples, seed 1) for testing", without an ending: the
    /// caller adds one.
    /// </summary>
    /// <param name="what">What was split, as the line names it ("'data.csv'", "the training images").</param>
    /// <param name="stratified">Split class by class (single-label data), or uniformly (multi-label data).</param>
    /// <param name="fraction">--val-split.</param>
    /// <param name="heldOut">Samples held out.</param>
    /// <param name="total">Samples split.</param>
    /// <param name="unit">After the counts: " samples", or "" where <paramref name="what"/> says it.</param>
    /// <param name="seed">--seed.</param>
    public static string Text(string what, bool stratified, double fraction, int heldOut, int total, string unit, long seed)
    {
        var ci = CultureInfo.InvariantCulture;
        static string Percent(double p) => (100 * p).ToString("0.##", CultureInfo.InvariantCulture) + "%";
        // What one rounding of the whole would hold out: a split that differs from it is not "F of the data".
        double whole = Math.Round(total * fraction, MidpointRounding.AwayFromZero);
        bool asAsked = total < 2 || heldOut == (int)Math.Clamp(whole, 1, total - 1);
        string line = $"Held out a {(stratified ? "stratified" : "random")} {Percent(asAsked ? fraction : (double)heldOut / total)} " +
            $"of {what} ({heldOut.ToString(ci)} of {total.ToString(ci)}{unit}, seed {seed.ToString(ci)}) for testing";
        return asAsked || !stratified ? line
            : $"{line}: {Percent(fraction)} of each class, rounded, and at least one (and at most all but one) of each class of two " +
                "samples or more";
    }
}
