using Xunit;

namespace Xent.Tests.Cli;

/// <summary>
/// Which escaped exceptions read as the user's bad input (exit 2, their message) and which as xent's own bug (exit 1, a
/// request to report it): an argument or overflow exception is the user's only when it says what was wrong.
/// </summary>
[Collection(ConsoleCollection.Name)]
public class ErrorClassificationTests
{
    [Fact]
    public void TheRuntimesOwnOutOfRangeAndOverflowExceptionsAreBugsNotBadInput()
    {
        // Each raised by the runtime, as a wrong slice, index or size computed inside xent would raise it.
        var slice = Catch(() => new float[4].AsSpan().Slice(3, 2).Fill(0));
        var index = Catch(() => _ = new List<int>()[0]);
        var overflow = Catch(() => _ = checked(int.MaxValue + Environment.ProcessorCount * 2));
        foreach (var e in new[] { slice, index, overflow })
        {
            var (code, message) = Classify(e);
            Assert.True(code == 1, $"{e.GetType().Name} '{e.Message}' gave {code}");
            Assert.StartsWith($"internal error ({e.GetType().Name}): ", message, StringComparison.Ordinal);
            Assert.EndsWith("This is a bug in xent; rerun with --verbose and report the output.", message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ArgumentChecksThatSayWhatWasWrongStayTheUsersInput()
    {
        int batchSize = 0;
        var checkedByHelper = Catch(() => ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1));
        var explained = Catch(() => throw new ArgumentOutOfRangeException("target", "Target 12 is out of bounds."));
        var overflowExplained = Catch(() => throw new OverflowException("Shape [65536, 65536] has too many elements."));
        foreach (var e in new[] { checkedByHelper, explained, overflowExplained })
        {
            var (code, message) = Classify(e);
            Assert.True(code == 2, $"{e.GetType().Name} '{e.Message}' gave {code}");
            Assert.DoesNotContain("internal error", message, StringComparison.Ordinal);
        }
        Assert.Equal("Target 12 is out of bounds.", Classify(explained).Message);
    }

    /// <summary>CliHost.Classify, the CLI's one error path, called in the built CLI assembly.</summary>
    private static (int Code, string Message) Classify(Exception e) =>
        ((int, string))InProcessCli.Assembly.GetType("Xent.Cli.CliHost", throwOnError: true)!.GetMethod("Classify")!
            .Invoke(null, [e])!;

    private static Exception Catch(Action action)
    {
        try { action(); }
        catch (Exception e) { return e; }
        throw new InvalidOperationException("expected an exception");
    }
}
