using System.Globalization;

namespace Xent.Data;

/// <summary>
/// Turns progress reports of long work (<see cref="DataOptions.Progress"/>, <see cref="Training.Predictor.Predicted"/>) into a
/// line every <paramref name="intervalSeconds"/> once the work has taken that long, so that quick work prints nothing and long
/// work shows that it moves: <c>  read 25000 of 100000 images (25%), 10 s</c>. The last report (all done) prints nothing
/// either: the caller says what was done.
/// </summary>
/// <param name="write">Takes each line (from the reporting threads, one at a time).</param>
/// <param name="verb">What is done to each item, in the past tense: <c>read</c>, <c>predicted</c>.</param>
/// <param name="noun">The items, plural: <c>images</c>, <c>inputs</c>.</param>
/// <param name="intervalSeconds">Seconds before the first line and between lines.</param>
/// <param name="seconds">Seconds since the work began.</param>
internal sealed class ProgressLines(Action<string> write, string verb, string noun, double intervalSeconds, Func<double> seconds)
{
    private readonly Lock _lock = new();
    private readonly double _interval = intervalSeconds;
    private double _next = intervalSeconds;
    private int _shown;

    /// <summary>
    /// <paramref name="batches"/> unchanged, telling <paramref name="progress"/> (samples taken, <paramref name="total"/>) as each
    /// batch is given back, that is once the caller is done with it.
    /// </summary>
    internal static IEnumerable<(Tensor Input, Tensor Target)> Counting(IEnumerable<(Tensor Input, Tensor Target)> batches, int total,
        Action<int, int> progress)
    {
        int done = 0;
        foreach (var batch in batches)
        {
            yield return batch;
            done += batch.Input.Size(0);
            progress(done, total);
        }
    }

    /// <summary>A report of <paramref name="done"/> of <paramref name="total"/> items; an older one arriving late is dropped.</summary>
    public void Report(int done, int total)
    {
        lock (_lock)
        {
            double now = seconds();
            if (now < _next || done <= _shown || done >= total) return;
            _next = now + _interval;
            _shown = done;
            write(string.Create(CultureInfo.InvariantCulture, $"  {verb} {done} of {total} {noun} ({100L * done / total}%), {now:F0} s"));
        }
    }
}
