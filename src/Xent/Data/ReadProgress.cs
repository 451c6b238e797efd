using System.Globalization;

namespace Xent.Data;

/// <summary>
/// Turns <see cref="DataOptions.Progress"/> reports into a line every <paramref name="intervalSeconds"/> once reading has taken
/// that long, so that a quick read prints nothing and a long one shows that it moves: <c>  read 25000 of 100000 images (25%),
/// 10 s</c>. The last report (all read) prints nothing either: the caller says how long the whole read took.
/// </summary>
/// <param name="write">Takes each line (from the reporting threads, one at a time).</param>
/// <param name="intervalSeconds">Seconds before the first line and between lines.</param>
/// <param name="seconds">Seconds since reading began.</param>
internal sealed class ReadProgress(Action<string> write, double intervalSeconds, Func<double> seconds)
{
    private readonly Lock _lock = new();
    private readonly double _interval = intervalSeconds;
    private double _next = intervalSeconds;
    private int _shown;

    /// <summary>A report of <paramref name="done"/> of <paramref name="total"/> images; an older one arriving late is dropped.</summary>
    public void Report(int done, int total)
    {
        lock (_lock)
        {
            double now = seconds();
            if (now < _next || done <= _shown || done >= total) return;
            _next = now + _interval;
            _shown = done;
            write(string.Create(CultureInfo.InvariantCulture, $"  read {done} of {total} images ({100L * done / total}%), {now:F0} s"));
        }
    }
}
