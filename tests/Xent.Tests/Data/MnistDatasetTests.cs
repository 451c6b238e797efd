using Xent.Data;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.Data;

public class MnistDatasetTests
{
    [Fact]
    public void ReadsRawAndGzipSplitsWithPixelValuesAsTorchvision()
    {
        using var files = new IdxFiles();
        var (trainImages, trainLabels) = files.WriteSplit("train", 5);
        var (testImages, testLabels) = files.WriteSplit("t10k", 3, gzip: true, seed: 2);
        var transform = new Compose(new ToTensor(), new Normalize(0.1307, 0.3081));
        var train = new MnistDataset(files.Dir, train: true, transform);
        var test = new MnistDataset(files.Dir, train: false, transform);
        Assert.Equal(5, train.Count);
        Assert.Equal(3, test.Count);
        Assert.Equal(new[] { 1, 28, 28 }, train.SampleShape);
        Assert.EndsWith("t10k-images-idx3-ubyte.gz", test.ImagesPath);
        foreach (var (ds, images, labels) in new[] { (train, trainImages, trainLabels), (test, testImages, testLabels) })
            for (int i = 0; i < ds.Count; i++)
            {
                var (input, target) = ds.Get(i);
                Assert.Equal(new[] { 1, 28, 28 }, input.Shape);
                Assert.Equal(labels[i], target);
                // Independent float32 computation of torchvision's ToTensor then Normalize.
                var expected = images.AsSpan(i * 784, 784).ToArray().Select(b => ((float)b / 255f - 0.1307f) / 0.3081f).ToArray();
                Assert.Equal(expected, input.ToArray());
            }
    }

    [Fact]
    public void EveryByteValueMatchesPyTorchBitForBit()
    {
        // 16x16 images holding each byte value once, checked against tools/golden/gen_data.py.
        var bytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var images = new IdxArray(bytes.Concat(bytes.Reverse()).ToArray(), 2, 16, 16);
        var labels = new IdxArray([3, 9], 2);
        var cases = new (Transform? T, string Golden)[]
        {
            (new ToTensor(), "totensor_256"),
            (new Compose(new ToTensor(), new Normalize(0.1307, 0.3081)), "mnist_normalized_256"),
            (new Compose(new Compose(new ToTensor()), new Normalize([0.2860], [0.3530])), "fashion_normalized_256"),
        };
        foreach (var (t, golden) in cases)
        {
            var ds = new MnistDataset(images, labels, t);
            var expected = Golden.Load("data", golden).ToArray();
            var x = new float[256];
            ds.CopySample(0, x);
            Assert.Equal(expected, x);
            ds.CopySample(1, x);
            Assert.Equal(expected.Reverse(), x);
            // The transform applied on its own to the raw values gives the same numbers (the table is only a shortcut).
            var raw = Tensor.FromArray(bytes.Select(b => (float)b).ToArray(), 1, 16, 16);
            Assert.Equal(expected, t!.Forward(raw).ToArray());
        }
        var none = new MnistDataset(images, labels);
        var r = new float[256];
        none.CopySample(0, r);
        Assert.Equal(bytes.Select(b => (float)b), r);
    }

    [Fact]
    public void PerChannelNormalizeMatchesPyTorch()
    {
        var expected = Golden.Load("data", "rgb_normalized_3x256").ToArray();
        var sample = Enumerable.Range(0, 3 * 256).Select(i => (float)(i % 256)).ToArray();
        new Compose(new ToTensor(), new Normalize([0.5, 0.4, 0.3], [0.2, 0.25, 0.3])).Apply(sample, [3, 1, 256]);
        Assert.Equal(expected, sample);
        Assert.Contains("3 channel", Assert.Throws<ArgumentException>(() =>
            new Normalize([0.5, 0.4, 0.3], [0.2, 0.2, 0.2]).Apply(new float[4], [1, 2, 2])).Message);
        Assert.Contains("std evaluated to zero", Assert.Throws<ArgumentException>(() => new Normalize(0.5, 1e-50)).Message);
    }

    private sealed class FlipHorizontal : Transform
    {
        public override void Apply(Span<float> sample, ReadOnlySpan<int> shape)
        {
            int w = shape[^1];
            for (int row = 0; row < sample.Length / w; row++) sample.Slice(row * w, w).Reverse();
        }
    }

    [Fact]
    public void NonPointwiseTransformsRunAfterTheFusedTable()
    {
        var data = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)(i * 10)).ToArray();
        var ds = new MnistDataset(new IdxArray(data, 2, 3, 4), new IdxArray([0, 1], 2),
            new Compose(new ToTensor(), new FlipHorizontal(), new Normalize(0.5, 0.25)));
        var x = new float[12];
        ds.CopySample(1, x);
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 4; c++)
                Assert.Equal(((float)data[12 + r * 4 + (3 - c)] / 255f - 0.5f) / 0.25f, x[r * 4 + c]);
    }

    [Fact]
    public void MismatchedCountsNameBothFiles()
    {
        using var files = new IdxFiles();
        var images = files.Write("train-images-idx3-ubyte", new byte[4 * 784], [4, 28, 28]);
        var labels = files.Write("train-labels-idx1-ubyte", new byte[3], [3]);
        var e = Assert.Throws<InvalidDataException>(() => new MnistDataset(files.Dir));
        Assert.Contains(images, e.Message);
        Assert.Contains(labels, e.Message);
        Assert.Contains("4 images", e.Message);
        Assert.Contains("3 labels", e.Message);
    }

    [Fact]
    public void BadLabelsAndShapesAreReported()
    {
        using var files = new IdxFiles();
        files.Write("train-images-idx3-ubyte", new byte[3 * 784], [3, 28, 28]);
        var labels = files.Write("train-labels-idx1-ubyte", [1, 12, 3], [3]);
        var e = Assert.Throws<InvalidDataException>(() => new MnistDataset(files.Dir));
        Assert.Contains(labels, e.Message);
        Assert.Contains("label 12 of sample 1", e.Message);

        var e2 = Assert.Throws<InvalidDataException>(() =>
            new MnistDataset(new IdxArray(new byte[3 * 784], 3, 784), new IdxArray(new byte[3], 3), null, "imgs.idx"));
        Assert.Contains("'imgs.idx' must hold images of shape (N, H, W)", e2.Message);
        Assert.Contains("(3, 784)", e2.Message);

        var e3 = Assert.Throws<FileNotFoundException>(() => new MnistDataset(files.Dir, train: false));
        Assert.Contains("t10k-images-idx3-ubyte", e3.Message);
        Assert.Throws<DirectoryNotFoundException>(() => new MnistDataset(Path.Combine(files.Dir, "missing")));
    }

    [Fact]
    public void FindsTorchvisionLayout()
    {
        using var files = new IdxFiles();
        var raw = Directory.CreateDirectory(Path.Combine(files.Dir, "MNIST", "raw")).FullName;
        File.WriteAllBytes(Path.Combine(raw, "t10k-images-idx3-ubyte"), IdxFiles.Encode(new byte[2 * 784], 2, 28, 28));
        File.WriteAllBytes(Path.Combine(raw, "t10k-labels-idx1-ubyte"), IdxFiles.Encode([4, 2], 2));
        var ds = new MnistDataset(files.Dir, train: false);
        Assert.Equal(2, ds.Count);
        Assert.Equal(2, ds.Target(1));
    }

    [SkippableFact]
    public void RealFashionMnistWhenInstalled()
    {
        // Reported as skipped where the data set is not installed; the other tests use synthetic files.
        const string dir = "/usr/share/datasets/fashion-mnist";
        Skip.IfNot(File.Exists(Path.Combine(dir, "t10k-images-idx3-ubyte.gz")),
            $"Fashion-MNIST is not installed in {dir} (apt-get install dataset-fashion-mnist).");
        var test = new MnistDataset(dir, train: false, new ToTensor());
        Assert.Equal(10000, test.Count);
        Assert.Equal(new[] { 1, 28, 28 }, test.SampleShape);
        var counts = new int[10];
        for (int i = 0; i < test.Count; i++) counts[test.Target(i)]++;
        Assert.All(counts, c => Assert.Equal(1000, c)); // Fashion-MNIST's test split is balanced.
        double sum = 0;
        foreach (var (x, _) in new DataLoader(test, batchSize: 1000))
            foreach (var v in x.Data) sum += v;
        // Published mean pixel intensity of Fashion-MNIST (train 0.2860; test 0.2868).
        Check.Close(0.2868, sum / (10000.0 * 784), rtol: 0, atol: 1e-3, what: "mean pixel");
    }
}
