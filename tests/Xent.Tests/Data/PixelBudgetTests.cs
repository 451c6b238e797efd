using Xent.Data;
using Xent.Tests.IO;
using Xunit;

namespace Xent.Tests.Data;

/// <summary>
/// <see cref="PixelBudget"/>, which keeps a folder of large images (a 93-byte PNG may declare 13000x13000) from being decoded one
/// per core at once: QA measured 3 GB for six such files on two cores.
/// </summary>
public class PixelBudgetTests
{
    [Fact]
    public async Task ATakeWaitsUntilThePixelsFitAndAnOversizedOneTakesTheWholeBudget()
    {
        var budget = new PixelBudget(100);
        Assert.Equal(60, budget.Take(60));
        var second = Task.Run(() => budget.Take(60));
        await Task.Delay(200);
        Assert.False(second.IsCompleted, "60 + 60 pixels were held at once in a budget of 100");
        budget.Give(60);
        Assert.Equal(60, await second.WaitAsync(TimeSpan.FromSeconds(10)));
        budget.Give(60);
        // More than the budget is taken as all of it, and so waits for nothing but the others: it cannot wait forever.
        Assert.Equal(100, await Task.Run(() => budget.Take(1_000_000)).WaitAsync(TimeSpan.FromSeconds(10)));
        budget.Give(100);
        Assert.Equal(0, budget.InUse);
        Assert.Equal(100, budget.Peak);
    }

    [Fact]
    public void LargeImagesAreDecodedOneAtATime()
    {
        // A budget of one large image: eight of them, among small ones, never hold more than one's pixels at once (a small one
        // does not fit beside a large one either).
        using var dir = new TempDirectory();
        var files = new List<string>();
        for (int i = 0; i < 8; i++)
        {
            files.Add(dir.File($"large{i}.png"));
            OwnDataFiles.Gray(files[^1], 400, 300, (x, y) => (byte)(x + y + i));
            files.Add(dir.File($"small{i}.png"));
            OwnDataFiles.Gray(files[^1], 4, 3, (x, y) => (byte)(x * y + i));
        }
        var budget = new PixelBudget(400 * 300);
        var pixels = ImageFolderSource.LoadImages(files, new DataOptions { ImageSize = (3, 4), DecodeBudget = budget }, out _);
        Assert.Equal(16 * 12, pixels.Length);
        Assert.Equal(0, budget.InUse);
        Assert.Equal(400 * 300, budget.Peak); // each large image took the whole budget, alone
    }
}
