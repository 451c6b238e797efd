namespace Xent.Tests.Support;

/// <summary>Runs a body on several threads of their own, released together by a barrier so that they contend.</summary>
internal static class Concurrently
{
    /// <summary>Runs <paramref name="body"/>(i) for i in 0 … <paramref name="threads"/> − 1 at once and waits for all of them.</summary>
    public static void Run(int threads, Action<int> body)
    {
        using var ready = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(i => new Thread(() =>
        {
            ready.SignalAndWait();
            body(i);
        })).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
    }
}
