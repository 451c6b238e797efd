using System.Globalization;

namespace Xent.Training;

/// <summary>
/// Losses and other unbounded numbers as the terminal shows them (the training log, its warnings, eval and calibrate):
/// fixed-point below 1e6 in magnitude, and from there at most four significant digits and an exponent written as metrics.csv writes
/// its exponents (<c>9.857E+6</c>, <c>5.832E+36</c>, never a padded <c>E+05</c>). A diverged run's loss was printed as 37
/// digits of fixed-point, and one warning mixed <c>E+6</c> with <c>E+05</c> (qa-s21-seen L1).
/// </summary>
internal static class NumberText
{
    /// <summary>The magnitude from which <see cref="Fixed"/> writes an exponent.</summary>
    internal const double ExponentFrom = 1e6;

    /// <summary>
    /// <paramref name="value"/> with <paramref name="decimals"/> decimals, or from <see cref="ExponentFrom"/> as <c>9.857E+6</c>;
    /// NaN and infinities as .NET writes them (<c>NaN</c>, <c>Infinity</c>).
    /// </summary>
    public static string Fixed(double value, int decimals = 4) => Math.Abs(value) < ExponentFrom
        ? value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)
        : Exponent(value);

    /// <summary>
    /// A ratio of 10 or more ("N times"): one decimal below 100 (<c>12.5</c>, <c>12</c>), whole below
    /// <see cref="ExponentFrom"/> (<c>217154</c>), then as <see cref="Fixed"/> writes it (<c>1.355E+16</c>).
    /// </summary>
    public static string Ratio(double value) => Math.Abs(value) < ExponentFrom
        ? value.ToString(Math.Abs(value) < 100 ? "0.#" : "0", CultureInfo.InvariantCulture)
        : Exponent(value);

    private static string Exponent(double value) => value.ToString("0.###E+0", CultureInfo.InvariantCulture);
}
