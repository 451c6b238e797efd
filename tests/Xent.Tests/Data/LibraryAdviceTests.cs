using Xent.Data;
using Xent.Tests.IO;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Data;

/// <summary>
/// The readers' and the model catalog's advice names <see cref="DataOptions"/>' members for a library user and the CLI's flags only
/// when the CLI reads (<see cref="DataOptions.CommandLine"/>), as the training diagnostics do (qa-s21-tutorial L1). The CLI's
/// wording is pinned by the CLI tests (OwnDataCliTests, NewUserCliTests).
/// </summary>
public sealed class LibraryAdviceTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string name, string text)
    {
        string path = _dir.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Error(Func<object> read)
    {
        var e = Assert.ThrowsAny<Exception>(read);
        Assert.True(e is InvalidDataException or ArgumentException, e.ToString());
        Assert.DoesNotContain("--", e.Message);
        return e.Message;
    }

    [Fact]
    public void CsvAdviceNamesTheOptionsMembers()
    {
        string unnamed = Write("unnamed.csv", ",a,label\n0,1,y\n1,2,n\n2,3,y\n3,4,n\n");
        Assert.EndsWith("; name it, or pick the feature columns with DataOptions.Features.", Error(() => CsvSource.Load(unnamed)));
        string words = Write("words.csv", "a,b,label\n" + string.Concat(Enumerable.Range(0, 30).Select(i => $"{i},w{i},{i % 2}\n")));
        Assert.Contains("fix the value or leave the column out of DataOptions.Features.", Error(() => CsvSource.Load(words)));
        string empty = Write("empty.csv", "a,b,label\n1,2,y\n,3,n\n2,4,y\n3,5,n\n");
        Assert.EndsWith("; fill it in or set DataOptions.ImputeMissing.", Error(() => CsvSource.Load(empty)));
        string category = Write("category.csv", "a,c,label\n1,red,y\n,blue,n\n2,red,y\n3,blue,n\n");
        Assert.EndsWith("; fill it in or set DataOptions.ImputeMissing.", Error(() => CsvSource.Load(category)));
        // Read for a trained model, which does not impute.
        var spec = new ModelSpec
        {
            Model = "linear", InputKind = ModelSpec.FeatureInput, InputShape = [2], ClassNames = ["n", "y"], FeatureNames = ["a", "b"],
            Mean = [0f, 0f], Std = [1f, 1f],
        };
        Assert.EndsWith("fill it in (the model was trained without imputing missing values, so it does not impute missing values).",
            Error(() => CsvSource.Load(empty, new DataOptions { Spec = spec })));
    }

    [Fact]
    public void NpyAdviceNamesTheOptionsMembers()
    {
        string x = _dir.File("x.npy");
        Xent.IO.Npy.Write(x, new float[6], [3, 2]);
        Assert.EndsWith("needs its labels: set DataOptions.Labels to the labels' .npy file.", Error(() => NpySource.Load(x)));
        Assert.EndsWith("needs its labels: set DataOptions.Labels to the labels' .npy file.", Error(() => DatasetFactory.Load(x)));
    }

    [Fact]
    public void ModelCatalogAdviceNamesTheModelAndTheOptionsMember()
    {
        var features = new ModelSpec
        {
            Model = "cnn", InputKind = ModelSpec.FeatureInput, InputShape = [4], ClassNames = ["a", "b"], Mean = [0f], Std = [1f],
        };
        Assert.Equal("the cnn model takes images (C, H, W); use the mlp or linear model for feature vectors.",
            Error(() => ModelCatalog.Create(features, new Generator(1))));
        var large = features with { InputKind = ModelSpec.ImageInput, InputShape = [1, 100, 100] };
        Assert.EndsWith("; resize them to at most 69x69 (DataOptions.ImageSize).",
            Error(() => ModelCatalog.Create(large, new Generator(1))));
        // The CLI's words.
        Assert.Contains("use --model mlp or linear", Assert.Throws<ArgumentException>(
            () => ModelCatalog.Create(features, new Generator(1), commandLine: true)).Message);
        Assert.EndsWith("(--image-size).", Assert.Throws<ArgumentException>(
            () => ModelCatalog.Create(large, new Generator(1), commandLine: true)).Message);
    }
}
