namespace Xent.Kernels;

/// <summary>
/// Geometry of a 2-D convolution over NCHW input: input (N, Cin, H, W), weight (Cout, Cin, kh, kw),
/// output (N, Cout, Ho, Wo) with <c>Ho = (H + 2·padH − kh) / strideH + 1</c> (likewise Wo).
/// </summary>
internal readonly record struct Conv2dShape(int Batch, int InChannels, int Height, int Width,
    int OutChannels, int KernelH, int KernelW, int StrideH = 1, int StrideW = 1, int PadH = 0, int PadW = 0)
{
    /// <summary>Output height Ho.</summary>
    public int OutHeight => Im2Col.OutputSize(Height, KernelH, StrideH, PadH);

    /// <summary>Output width Wo.</summary>
    public int OutWidth => Im2Col.OutputSize(Width, KernelW, StrideW, PadW);

    /// <summary>Elements of one input image, Cin·H·W.</summary>
    public int InputImageSize => InChannels * Height * Width;

    /// <summary>Elements of one output image, Cout·Ho·Wo.</summary>
    public int OutputImageSize => OutChannels * OutHeight * OutWidth;

    /// <summary>Rows of the im2col matrix (and columns of the flattened weight), Cin·kh·kw.</summary>
    public int PatchSize => InChannels * KernelH * KernelW;

    /// <summary>Elements of the weight, Cout·Cin·kh·kw.</summary>
    public int WeightSize => OutChannels * PatchSize;

    /// <summary>True when im2col is the identity (1×1 kernel, stride 1, no padding).</summary>
    public bool IsPointwise => KernelH == 1 && KernelW == 1 && StrideH == 1 && StrideW == 1 && PadH == 0 && PadW == 0;

    /// <summary>
    /// Throws when a dimension is not positive, the kernel does not fit the padded input, or a buffer the kernels index with
    /// int (the output, one image's column matrix) would not fit an array.
    /// </summary>
    public void Validate()
    {
        if (Batch < 0 || InChannels <= 0 || OutChannels <= 0 || Height <= 0 || Width <= 0)
            throw new ArgumentException($"Invalid convolution shape: {this}.");
        int ho = OutHeight, wo = OutWidth;
        Shapes.NumEl([Batch, OutChannels, ho, wo]);
        long columns = (long)InChannels * KernelH * KernelW * ho * wo;
        if (!IsPointwise && columns > Array.MaxLength)
            throw new ArgumentException($"The convolution's column matrix for one image ({InChannels}·{KernelH}·{KernelW} rows × " +
                $"{ho}·{wo} columns = {columns} floats) is larger than the {Array.MaxLength} elements an array holds.");
    }
}
