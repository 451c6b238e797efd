using System.Runtime.InteropServices;
using Xent.Data;
using Xent.IO;
using Xunit;

namespace Xent.Tests.Core;

/// <summary>
/// Sizes, strides and paddings near int.MaxValue: a right answer or one clear ArgumentException, never an int that wrapped
/// into a wrong result. Nothing here allocates more than a few megabytes.
/// </summary>
public class SizeLimitTests
{
    // import torch, torch.nn.functional as F
    // x = torch.ones(1, 1, 28, 28, requires_grad=True); y = F.conv2d(x, torch.ones(1, 1, 3, 3), stride=(1, 2**31 - 1))
    // y.shape, y.unique() -> [1, 1, 26, 1], tensor([9.]); y.sum().backward(); x.grad.sum() -> 234
    // F.conv2d(torch.ones(1, 1, 28, 28), torch.ones(1, 1, 3, 3), stride=2**31 - 1) -> tensor([[[[9.]]]])
    [Fact]
    public void AStrideNearIntMaxValue_StillConvolves()
    {
        // (offset + stride − 1) / stride wrapped negative, so every column was taken for padding: zeros, and a zero gradient.
        var x = Tensor.Ones(1, 1, 28, 28).RequiresGrad_();
        var y = F.Conv2d(x, Tensor.Ones(1, 1, 3, 3), stride: (1, int.MaxValue));
        Assert.Equal([1, 1, 26, 1], y.Shape);
        Assert.All(y.ToArray(), v => Assert.Equal(9f, v));
        y.Sum().Backward();
        Assert.Equal(234f, x.Grad!.Sum().Item());
        Assert.Equal([9f], F.Conv2d(Tensor.Ones(1, 1, 28, 28), Tensor.Ones(1, 1, 3, 3), stride: (int.MaxValue, int.MaxValue)).ToArray());
    }

    [Fact]
    public void APaddingWhoseOutputCannotExist_IsRefused()
    {
        // 2·padding wrapped to −2, and a 24×24 tensor of the bias came back; the true output has 4294967320² elements.
        var e = Assert.Throws<ArgumentException>(() =>
            F.Conv2d(Tensor.Ones(1, 1, 28, 28), Tensor.Ones(1, 1, 3, 3), Tensor.Full(5f, 1), padding: (int.MaxValue, int.MaxValue)));
        Assert.Contains("more than", e.Message);
    }

    // F.max_pool2d(torch.arange(30.).reshape(1, 1, 5, 6), 2**31 - 2, stride=2**31 - 1, padding=(2**31 - 2) // 2) -> [[[[29.]]]]
    [Fact]
    public void APoolingWindowNearIntMaxValue_TakesTheGlobalMaximum()
    {
        var x = Tensor.Arange(0f, 30f).Reshape(1, 1, 5, 6);
        var y = F.MaxPool2d(x, int.MaxValue - 1, int.MaxValue, (int.MaxValue - 1) / 2);
        Assert.Equal([1, 1, 1, 1], y.Shape);
        Assert.Equal(29f, y.Item());
    }

    [Fact]
    public void OutputsTooLargeForAnArray_AreRefusedWithTheShape()
    {
        // Each of these used to end in an OverflowException or an internal span-length message.
        Assert.Contains("[46341, 46341]", Assert.Throws<ArgumentException>(() =>
            Tensor.Zeros(46341, 1).MatMul(Tensor.Zeros(1, 46341))).Message);
        Assert.Contains("[2, 32768, 32768]", Assert.Throws<ArgumentException>(() =>
            Tensor.Zeros(2, 32768, 1).MatMul(Tensor.Zeros(2, 1, 32768))).Message);
        Assert.Contains("[46341, 46341]", Assert.Throws<ArgumentException>(() =>
            F.Linear(Tensor.Zeros(46341, 1), Tensor.Zeros(46341, 1), Tensor.Zeros(46341))).Message);
        Assert.Contains("[1, 32768, 256, 256]", Assert.Throws<ArgumentException>(() =>
            F.Conv2d(Tensor.Zeros(1, 1, 256, 256), Tensor.Zeros(32768, 1, 1, 1))).Message);
        // A 2017×2017 output fits; one image's column matrix (32·32 × 2017·2017 floats) does not.
        Assert.Contains("column matrix", Assert.Throws<ArgumentException>(() =>
            F.Conv2d(Tensor.Zeros(1, 1, 2048, 2048), Tensor.Zeros(1, 1, 32, 32))).Message);
        Assert.Contains($"more than {Array.MaxLength}", Assert.Throws<ArgumentException>(() =>
            Tensor.Zeros(int.MaxValue)).Message);
        // Over an empty dim a sum is larger than its input (PyTorch would return 2^32 zeros).
        Assert.Contains("[65536, 65536]", Assert.Throws<ArgumentException>(() => Tensor.Zeros(65536, 0, 65536).Sum(1)).Message);
        Assert.Equal(new float[6], Tensor.Zeros(2, 0, 3).Sum(1).ToArray());
    }

    [Fact]
    public void AShapeWithAZeroIsEmpty_WhereverTheZeroStands()
    {
        Assert.Equal([65536, 65536, 0], Tensor.Zeros(65536, 65536, 0).Shape);
        Assert.Equal(0, Tensor.Zeros(0).Reshape(65536, 65536, 0).NumEl);
    }

    [Fact]
    public void ArangeCountsInWideIntegers()
    {
        // end − start + step overflowed long, and an empty tensor came back (PyTorch: "invalid size, possible overflow?").
        Assert.Throws<ArgumentException>(() => Tensor.Arange(long.MinValue, long.MaxValue));
        Assert.Throws<ArgumentException>(() => Tensor.Arange(0L, 3_000_000_000L)); // was an OverflowException
        Assert.Equal([0L], Tensor.Arange(0L, 10L, long.MaxValue).ToInt64Array());
        Assert.Equal([long.MinValue, -1L, long.MaxValue - 1], Tensor.Arange(long.MinValue, long.MaxValue, long.MaxValue).ToInt64Array());
        Assert.Equal([0L, long.MaxValue / 2, long.MaxValue / 2 * 2], Tensor.Arange(0L, long.MaxValue, long.MaxValue / 2).ToInt64Array());
        Assert.Throws<ArgumentException>(() => Tensor.Arange(0f, 3e9f));
        Assert.Throws<ArgumentException>(() => Tensor.RandPerm(-1));
    }

    [Fact]
    public void ABatchSizeNearIntMaxValue_GivesOneBatchOfEverything()
    {
        // (count + batch − 1) / batch wrapped to 0 or −1: no batch at all, so eval reported 0/0 and train failed.
        var ds = new TensorDataset(Tensor.Arange(0f, 400f).Reshape(100, 4), Tensor.Arange(0L, 100L));
        foreach (int batch in new[] { int.MaxValue, int.MaxValue - 98 })
        {
            var loader = new DataLoader(ds, batch);
            Assert.Equal(1, loader.Count);
            var (inputs, targets) = Assert.Single(loader);
            Assert.Equal([100, 4], inputs.Shape);
            Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), targets.ToInt64Array());
        }
    }

    [Fact]
    public unsafe void ArraysOverAGibibyteAreWrittenInChunksWithoutWrapping()
    {
        // The chunk index did i += 2^30 for bytes and wrapped past int.MaxValue at the third chunk. Untouched pages of an
        // uncommitted allocation read as zeros without being backed, so this moves 1.1 GB through the loop but holds little.
        const int length = (1 << 30) + (1 << 26);
        void* p = NativeMemory.Alloc(length);
        try
        {
            var counter = new CountingStream();
            NpyArray.WriteChunks(counter, new ReadOnlySpan<byte>(p, length));
            Assert.Equal(length, counter.Length);
        }
        finally
        {
            NativeMemory.Free(p);
        }
    }

    private sealed class CountingStream : Stream
    {
        private long _length;
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => _length += count;
        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;
    }
}
