using Xunit;

namespace Xent.Tests.Fuzz;

/// <summary>
/// Seeded mutations of valid files, a thousand or a few per format: every case must be read or rejected with a clean
/// error (<see cref="FuzzTarget.CleanErrors"/>): no other exception, no crash, no hang. A failure names the format,
/// case and sample, so <c>Mutator.Mutate(sample, new Random(caseSeed), …)</c> reproduces the bytes.
/// </summary>
public class ReaderFuzzTests
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);

    public static TheoryData<string> Formats => new(FuzzTargets.All.Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task EveryMutationIsReadOrCleanlyRejected(string format)
    {
        var target = FuzzTargets.Get(format);
        var samples = target.Samples();
        int current = -1, rejected = 0;
        var failures = new List<string>();
        var run = Task.Run(() =>
        {
            for (int i = 0; i < target.Cases; i++)
            {
                current = i;
                var rng = new Random(Mutator.CaseSeed(format, i));
                byte[] sample = samples[i % samples.Count];
                byte[] bytes = target.Damage(sample, rng);
                try { target.Read(bytes); }
                catch (Exception e) when (target.CleanErrors.Any(t => t.IsInstanceOfType(e)))
                {
                    rejected++;
                    if (string.IsNullOrWhiteSpace(e.Message)) failures.Add($"case {i}: {e.GetType().Name} with no message");
                }
                catch (Exception e)
                {
                    failures.Add($"case {i} (sample file {i % samples.Count}): {e.GetType().Name}: {e.Message}");
                    if (failures.Count >= 10) break;
                }
            }
        });
        try { await run.WaitAsync(Budget); }
        catch (TimeoutException) { Assert.Fail($"{format}: case {current} did not finish within {Budget.TotalSeconds} s (a hang?)"); }
        Assert.True(failures.Count == 0,
            $"{format}: {failures.Count} case(s) ended in an unclean exception:\n{string.Join("\n", failures)}");
        // The mutations must mostly damage the file, or the test proves nothing.
        Assert.True(rejected > target.Cases / 3, $"{format}: only {rejected} of {target.Cases} mutations were rejected");
    }
}
