namespace Xent.Training;

/// <summary>
/// Derives an independent random seed per epoch and stream from a run's random seed, so that each epoch's data order and dropout masks
/// depend only on (seed, epoch) — not on how many epochs ran before in this process. That is what
/// lets a run resumed from a checkpoint end bit-identically where an uninterrupted run ends.
/// </summary>
public static class RunSeeds
{
    /// <summary>The stream used for the training data shuffle.</summary>
    public const int ShuffleStream = 0;

    /// <summary>The first stream used for dropout layers (layer k uses <c>DropoutStream + k</c>).</summary>
    public const int DropoutStream = 1;

    /// <summary>A seed for (<paramref name="seed"/>, <paramref name="epoch"/>, <paramref name="stream"/>), mixed with SplitMix64.</summary>
    public static long Derive(long seed, int epoch, int stream)
    {
        ulong x = Mix(unchecked((ulong)seed));
        x = Mix(x ^ unchecked((ulong)epoch * 0xD1B54A32D192ED03UL));
        x = Mix(x ^ unchecked((ulong)stream * 0x8CB92BA72F3D8DD7UL));
        return unchecked((long)x);
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
