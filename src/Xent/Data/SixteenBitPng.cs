using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Xent.Data;

/// <summary>
/// 16-bit PNGs as PIL 9 reads them, and so torchvision's <c>ImageFolder</c> (<c>Image.open(f).convert("RGB")</c>): PIL opens
/// 16-bit gray as 32-bit integers (mode "I"), which it converts to bytes by clipping at 255, and keeps the high byte of every
/// other type's samples (gray with alpha, RGB, RGBA). ImageSharp scales them instead (v × 255 / 65535, rounded): gray images
/// came out entirely unlike PIL's, colour ones one level off where a sample's low byte is 0x80 or more (qa-s19-c L3).
/// </summary>
internal static class SixteenBitPng
{
    /// <summary>How PIL makes a byte of a 16-bit sample.</summary>
    internal enum Reduction
    {
        /// <summary>Not a 16-bit PNG: ImageSharp's 8-bit pixels are PIL's.</summary>
        None,

        /// <summary>16-bit gray: min(v, 255).</summary>
        Clip,

        /// <summary>Any other 16-bit PNG: v >> 8.</summary>
        HighByte,
    }

    /// <summary>The reduction for an image of <paramref name="format"/> whose header is <paramref name="info"/>.</summary>
    public static Reduction Of(IImageInfo info, IImageFormat format)
    {
        if (format is not PngFormat) return Reduction.None;
        var png = info.Metadata.GetPngMetadata();
        if (png.BitDepth != PngBitDepth.Bit16) return Reduction.None;
        return png.ColorType == PngColorType.Grayscale ? Reduction.Clip : Reduction.HighByte;
    }

    /// <summary>
    /// The bytes of a 16-bit PNG decoded as <paramref name="wide"/> (ImageSharp's decoder copies each sample into Rgba64; gray
    /// becomes R = G = B), made by <paramref name="reduction"/>; alpha is dropped, as <c>convert("RGB")</c> drops it.
    /// </summary>
    public static Image<Rgb24> Reduce(Image<Rgba64> wide, Reduction reduction)
    {
        var image = new Image<Rgb24>(wide.Width, wide.Height);
        bool clip = reduction == Reduction.Clip;
        wide.ProcessPixelRows(image, (from, to) =>
        {
            for (int y = 0; y < from.Height; y++)
            {
                var source = from.GetRowSpan(y);
                var target = to.GetRowSpan(y);
                for (int x = 0; x < source.Length; x++)
                {
                    var p = source[x];
                    target[x] = clip ? new Rgb24(Clip(p.R), Clip(p.G), Clip(p.B)) : new Rgb24(High(p.R), High(p.G), High(p.B));
                }
            }
        });
        return image;
    }

    private static byte Clip(ushort v) => (byte)Math.Min(v, (ushort)255);

    private static byte High(ushort v) => (byte)(v >> 8);
}
