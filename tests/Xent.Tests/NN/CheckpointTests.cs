using System.IO.Compression;
using Xent.IO;
using Xent.Models;
using Xent.Tests.Support;
using Xunit;

namespace Xent.Tests.NN;

/// <summary>State dicts through safetensors, in both directions between PyTorch and Xent.</summary>
[Collection(WarningsCollection.Name)]
public class CheckpointTests
{
    private static string TempFile() => Path.Combine(Path.GetTempPath(), $"xent-nn-{Guid.NewGuid():N}.safetensors");

    /// <summary>The PyTorch-written checkpoint (gzipped in the repo to stay small), unpacked to a temp file.</summary>
    private static string TorchCheckpoint()
    {
        var path = TempFile();
        using var gz = new GZipStream(File.OpenRead(Golden.PathOf("nn", "mnist_model.safetensors.gz")), CompressionMode.Decompress);
        using var file = File.Create(path);
        gz.CopyTo(file);
        return path;
    }

    [Fact]
    public void PyTorchCheckpointGivesPyTorchLogits()
    {
        var path = TorchCheckpoint();
        try
        {
            var (tensors, metadata) = Checkpoint.Load(path);
            Assert.Equal("pt", metadata["format"]);
            var model = new MnistCnn();
            model.LoadStateDict(tensors);
            model.Eval();
            Tensor logits;
            using (Tensor.NoGrad()) logits = model.Forward(Golden.Load("nn", "mnist_input"));
            Check.Close(Golden.Load("nn", "mnist_logits"), logits, rtol: 1e-4, atol: 1e-5, "logits");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SaveLoadRoundTripsFloatAndInt64TensorsAndMetadata()
    {
        var path = TempFile();
        try
        {
            var tensors = new Dictionary<string, Tensor>
            {
                ["w"] = Tensor.Randn([3, 4], new Generator(1)),
                ["scalar"] = Tensor.Scalar(2.5f),
                ["steps"] = Tensor.FromArray(new long[] { 7, -1, long.MaxValue }),
            };
            Checkpoint.Save(path, tensors, new Dictionary<string, string> { ["epoch"] = "3" });
            var (loaded, metadata) = Checkpoint.Load(path);
            Assert.Equal("3", metadata["epoch"]);
            Assert.Equal("pt", metadata["format"]);
            Assert.Equal(tensors.Keys.Order(), loaded.Keys.Order());
            foreach (var (name, t) in tensors)
            {
                Assert.Equal(t.DType, loaded[name].DType);
                Assert.Equal(t.Shape, loaded[name].Shape);
                if (t.DType == DType.Float32) Assert.Equal(t.ToArray(), loaded[name].ToArray());
                else Assert.Equal(t.ToInt64Array(), loaded[name].ToInt64Array());
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ModuleExtensionsRoundTripAModel()
    {
        var path = TempFile();
        try
        {
            var a = new MnistCnn(new Generator(3));
            a.SaveStateDict(path);
            var b = new MnistCnn(new Generator(4));
            b.LoadStateDict(path);
            foreach (var ((name, pa), (_, pb)) in a.NamedParameters().Zip(b.NamedParameters()))
                Assert.True(pa.Data.SequenceEqual(pb.Data), name);
            var e = Assert.Throws<InvalidOperationException>(() => new Mlp().LoadStateDict(path));
            Assert.Contains("Unexpected key(s) in state_dict: \"conv1.weight\"", e.Message);
            Assert.Contains("size mismatch for fc1.weight", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
