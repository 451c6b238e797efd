namespace Xent.Kernels;

/// <summary>
/// The span checks kernels share, with one wording: a kernel validates lengths once at entry, and its loops
/// then trust them.
/// </summary>
internal static class KernelArgs
{
    /// <summary>Throws unless span <paramref name="name"/> has exactly <paramref name="expected"/> elements.</summary>
    public static void SameLength(int expected, int actual, string name)
    {
        if (actual != expected)
            throw new ArgumentException($"Expected {name} to have {expected} elements but it has {actual}.", name);
    }

    /// <summary>Throws unless optional span <paramref name="name"/> is empty or has exactly <paramref name="expected"/> elements.</summary>
    public static void EmptyOrLength(int expected, int actual, string name)
    {
        if (actual != 0 && actual != expected)
            throw new ArgumentException($"Expected {name} to be empty or have {expected} elements but it has {actual}.", name);
    }

    /// <summary>
    /// Throws unless upstream-gradient span <paramref name="name"/> holds one factor per row or one for all
    /// <paramref name="rows"/>.
    /// </summary>
    public static void OneOrLength(int rows, int length, string name)
    {
        if (length != 1 && length != rows)
            throw new ArgumentException($"Expected {name} to have 1 or {rows} elements but it has {length}.", name);
    }

    /// <summary>The row count of a (rows, <paramref name="classes"/>) span of <paramref name="length"/> elements.</summary>
    /// <exception cref="ArgumentException">The length is not a multiple of <paramref name="classes"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> is not positive.</exception>
    public static int Rows(int length, int classes, string name)
    {
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), classes, "The class count must be positive.");
        if (length % classes != 0)
            throw new ArgumentException($"The length of {name} ({length}) is not a multiple of the class count ({classes}).", name);
        return length / classes;
    }
}
