using Xent.Data;
using Xent.IO;
using Xent.Tests.IO;
using Xent.Tests.Support;
using Xent.Training;
using Xunit;

namespace Xent.Tests.Data;

/// <summary>
/// .npy arrays as other tools save them: channels-last images (Keras, np.stack of PIL images), one-hot labels
/// (to_categorical), and malformed files whose errors must name the file. In the warnings collection: some tests catch them.
/// </summary>
[Collection(WarningsCollection.Name)]
public class NpyInputTests
{
    /// <summary>A uint8 array of <paramref name="shape"/> with pixels i % 251, and labels i % 2 for its N samples.</summary>
    private static (string X, string Y) Images(TempDirectory dir, string name, params int[] shape)
    {
        string x = dir.File(name + ".npy"), y = dir.File(name + "-labels.npy");
        Npy.Write(x, Enumerable.Range(0, shape.Aggregate(1, (a, d) => a * d)).Select(i => (byte)(i % 251)).ToArray(), shape);
        Npy.Write(y, Enumerable.Range(0, shape[0]).Select(i => (long)(i % 2)).ToArray(), [shape[0]]);
        return (x, y);
    }

    [Theory]
    [InlineData(3, "3-channel images of 32x32")]   // np.stack of RGB PIL images, Keras/TF
    [InlineData(1, "1-channel images of 32x32")]   // (N, 28, 28, 1) as Keras's MNIST examples reshape it
    [InlineData(4, "4-channel images of 32x32")]   // RGBA
    public void ChannelsLastImagesAreRefusedWithTheTranspose(int channels, string what)
    {
        // Read channels first, (60, 32, 32, 3) was 32 channels of 32x3 images: an mlp trained on the wrong axes without a word.
        using var dir = new TempDirectory();
        var (x, y) = Images(dir, "nhwc", 10, 32, 32, channels);
        var e = Assert.Throws<InvalidDataException>(() => NpySource.Load(x, new DataOptions { Labels = y }));
        Assert.Equal($"'{x}' has shape (10, 32, 32, {channels}), which looks channels-last (N, H, W, C): {what} (height x width). " +
            "xent reads image arrays channels first, (N, C, H, W), as PyTorch does: rewrite it with " +
            "np.save(path, np.transpose(x, (0, 3, 1, 2))).", e.Message);
    }

    [Fact]
    public void AnUnclearLayoutIsReadChannelsFirstWithAWarningAndAClearOneWithout()
    {
        using var dir = new TempDirectory();
        var (x, y) = Images(dir, "unclear", 6, 16, 16, 8);
        ArrayDataset? d = null;
        var warnings = WarningCapture.During(() => d = NpySource.Load(x, new DataOptions { Labels = y }));
        Assert.Equal([16, 16, 8], d!.SampleShape);
        Assert.Equal($"'{x}' has shape (6, 16, 16, 8): read channels first, (N, C, H, W), as 16 channel(s) of 16x8 (height x width) " +
            "images. If it is channels-last (N, H, W, C), 8 channel(s) of 16x16 images, rewrite it with " +
            "np.save(path, np.transpose(x, (0, 3, 1, 2))) instead.", Assert.Single(warnings));
        // Channels first as PyTorch saves them: nothing to say.
        foreach (int[] shape in new[] { new[] { 6, 3, 32, 32 }, [6, 1, 28, 28], [6, 4, 9, 7] })
        {
            var (cx, cy) = Images(dir, "nchw" + shape[1], shape);
            Assert.Empty(WarningCapture.During(() => d = NpySource.Load(cx, new DataOptions { Labels = cy })));
            Assert.Equal(shape[1..], d!.SampleShape);
        }
    }

    [Fact]
    public void ChannelsLastDataForAChannelsFirstModelSaysSo()
    {
        using var dir = new TempDirectory();
        var (x, y) = Images(dir, "nhwc", 4, 8, 8, 3);
        var spec = new ModelSpec
        {
            Model = "cnn", InputKind = ModelSpec.ImageInput, InputShape = [3, 8, 8], ClassNames = ["0", "1"], Mean = [0f, 0f, 0f],
            Std = [1f, 1f, 1f],
        };
        var e = Assert.Throws<InvalidDataException>(() => NpySource.Load(x, new DataOptions { Labels = y, Spec = spec }));
        Assert.Equal($"'{x}' holds samples of shape (8, 8, 3), but the model takes (3, 8, 8): expected an array of shape (N, 3, 8, 8), " +
            "channels first; it looks channels-last (N, H, W, C): rewrite it with np.save(path, np.transpose(x, (0, 3, 1, 2))).",
            e.Message);
    }

    [Fact]
    public void OneHotLabelsDrawAWarningThatSuggestsClassIndices()
    {
        // Keras's to_categorical: every row one 1. Read as documented, a multi-label model of 3 sigmoid outputs.
        using var dir = new TempDirectory();
        var (x, _) = OwnDataFiles.NpyPair(dir.Path, 9);
        string onehot = dir.File("onehot.npy"), multi = dir.File("multi.npy");
        Npy.Write(onehot, Enumerable.Range(0, 27).Select(i => i % 3 == i / 3 % 3 ? 1f : 0f).ToArray(), [9, 3]);
        ArrayDataset? d = null;
        var warnings = WarningCapture.During(() => d = NpySource.Load(x, new DataOptions { Labels = onehot }));
        Assert.True(d!.IsMultiLabel);
        Assert.Equal($"every row of '{onehot}' holds exactly one 1, as one-hot classes do (Keras's to_categorical): xent reads an " +
            "(N, L) 0/1 matrix as 3 independent labels (multi-label: sigmoid outputs, BCE). If each sample has one class, save the " +
            "class indices instead, np.save('labels.npy', y.argmax(1)).", Assert.Single(warnings));
        // A row with two labels (or none) is multi-label data: no warning.
        var rows = Enumerable.Range(0, 27).Select(i => i % 3 == i / 3 % 3 ? 1f : 0f).ToArray();
        rows[1] = 1f;
        Npy.Write(multi, rows, [9, 3]);
        Assert.Empty(WarningCapture.During(() => NpySource.Load(x, new DataOptions { Labels = multi })));
        rows[0] = rows[1] = 0f;
        Npy.Write(multi, rows, [9, 3]);
        Assert.Empty(WarningCapture.During(() => NpySource.Load(x, new DataOptions { Labels = multi })));
        // Evaluating a model that was trained so: it was warned about then.
        var spec = new ModelSpec
        {
            Model = "mlp", InputKind = ModelSpec.FeatureInput, InputShape = [3], ClassNames = ["label0", "label1", "label2"],
            Mean = new float[3], Std = [1f, 1f, 1f], Hidden = [4], MultiLabel = true,
        };
        Assert.Empty(WarningCapture.During(() => NpySource.Load(x, new DataOptions { Labels = onehot, Spec = spec })));
    }

    [Fact]
    public void SamplesWithoutValuesAreRefusedNamingTheFile()
    {
        // Before: "A sample must be a feature vector (F) or an image (C, H, W), got (0). (Parameter 'sampleShape')".
        using var dir = new TempDirectory();
        var (_, y) = OwnDataFiles.NpyPair(dir.Path, 4);
        string x = dir.File("n0f.npy");
        Npy.Write(x, Array.Empty<float>(), [4, 0]);
        var e = Assert.Throws<InvalidDataException>(() => NpySource.Load(x, new DataOptions { Labels = y }));
        Assert.Equal($"'{x}' has shape (4, 0): its samples hold no values.", e.Message);
        Npy.Write(x, Array.Empty<float>(), [4, 2, 0, 3]);
        Assert.Equal($"'{x}' has shape (4, 2, 0, 3): its samples hold no values.",
            Assert.Throws<InvalidDataException>(() => NpySource.Load(x, new DataOptions { Labels = y })).Message);
    }

    /// <summary>A .npy file of <c>&lt;U{chars}</c> text whose header claims <paramref name="shape"/>, with 64 bytes of data.</summary>
    private static void TextHeader(string path, int chars, string shape)
    {
        var bytes = OwnDataFiles.NpyHeader($"{{'descr': '<U{chars}', 'fortran_order': False, 'shape': {shape}, }}");
        bytes.AddRange(new byte[64]);
        File.WriteAllBytes(path, [.. bytes]);
    }

    [Fact]
    public void AHugeTextLabelsHeaderIsTruncatedDataNamingTheFileNotAnOverflow()
    {
        // Before: "Arithmetic operation resulted in an overflow." (10^9 x <U10 is 40 GB, allocated before the length was compared).
        using var dir = new TempDirectory();
        var (x, _) = OwnDataFiles.NpyPair(dir.Path, 4);
        string y = dir.File("y.npy");
        TextHeader(y, 10, "(1000000000,)");
        var e = Assert.Throws<InvalidDataException>(() => NpySource.Load(x, new DataOptions { Labels = y }));
        Assert.Equal($"'{y}': truncated data: expected 40000000000 bytes of data at offset 128, found 64 (1000000000 x <U10).",
            e.Message);
        // Beyond a long: 2^31 - 1 strings of 2^31 - 1 characters.
        TextHeader(y, int.MaxValue, $"({int.MaxValue},)");
        e = Assert.Throws<InvalidDataException>(() => NpySource.Load(x, new DataOptions { Labels = y }));
        Assert.StartsWith($"'{y}': truncated data: expected {(Int128)int.MaxValue * int.MaxValue * 4} bytes", e.Message);
    }

    [Fact]
    public void AnNpzArchiveIsRefusedWithHowToSaveItsArrays()
    {
        using var dir = new TempDirectory();
        string npz = dir.File("xy.npz");
        File.WriteAllBytes(npz, [0x50, 0x4b, 0x03, 0x04]);
        var e = Assert.Throws<InvalidDataException>(() => DatasetFactory.Detect(npz));
        Assert.Equal($"'{npz}' is a NumPy .npz archive, which xent does not read: save each array with np.save (np.save('x.npy', x); " +
            "np.save('y.npy', y)) and pass the features' .npy file, with the labels' as DataOptions.Labels.", e.Message);
        Assert.EndsWith("with the labels' as --labels.", Assert.Throws<InvalidDataException>(
            () => DatasetFactory.Detect(npz, commandLine: true)).Message);
    }
}
