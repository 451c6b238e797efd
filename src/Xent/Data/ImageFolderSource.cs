using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Xent.Training;

namespace Xent.Data;

/// <summary>
/// Reads image class folders, <c>DIR/&lt;class&gt;/**/*.png|jpg|jpeg|bmp|gif|tif|tiff|webp</c>, as torchvision's <c>ImageFolder</c>:
/// class names are the sub-folder names, sorted ordinally; files are visited in sorted path order. Images are decoded
/// by SixLabors.ImageSharp into (C, H, W) floats in [0, 1] (<c>byte / 255</c>, as <c>ToTensor</c>; a loaded folder holds
/// them as the bytes, <see cref="ArrayDataset.FromPixels(byte[], int[], long[], IReadOnlyList{string})"/>): one channel when
/// every image is gray (R = G = B everywhere), else three (RGB; alpha is dropped). Without a target size every image
/// must have the first one's size; with one, every image is resized to it (bicubic).
/// </summary>
public static class ImageFolderSource
{
    /// <summary>
    /// The file extensions read (case-insensitive): torchvision's <c>ImageFolder</c> list that ImageSharp 2.1 decodes (all but
    /// <c>.ppm</c> and <c>.pgm</c>), and <c>.gif</c>.
    /// </summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"];

    /// <summary>True when <paramref name="path"/> has an image extension.</summary>
    public static bool IsImageFile(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>
    /// Image files under <paramref name="directory"/>, recursively, in ordinal path order, leaving out hidden ones: a file or
    /// folder whose name starts with '.' (Jupyter's <c>.ipynb_checkpoints</c> copies, macOS's <c>._name.png</c> resource
    /// files, which are not images).
    /// </summary>
    public static string[] ImageFiles(string directory) => ImageFiles(VisibleFiles(directory));

    private static string[] ImageFiles(IEnumerable<string> files) => files.Where(IsImageFile).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The files under <paramref name="directory"/>, recursively, but those in or under a hidden name.</summary>
    private static string[] VisibleFiles(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(directory, f).Split(Path.DirectorySeparatorChar).Any(IsHidden)).ToArray();

    /// <summary>The class folders under <paramref name="directory"/> (hidden ones left out), in ordinal order.</summary>
    internal static string[] ClassFolders(string directory) =>
        Directory.EnumerateDirectories(directory).Where(d => !IsHidden(Path.GetFileName(d))).Order(StringComparer.Ordinal).ToArray();

    private static void CheckTakesImages(ModelSpec? spec)
    {
        if (spec is not null && spec.InputKind != ModelSpec.ImageInput)
            throw new InvalidDataException($"images were given, but the model takes {spec.InputKind} input of shape " +
                $"({string.Join(", ", spec.InputShape)}).");
    }

    /// <summary>Whether a file or folder name is hidden by the Unix convention (starts with '.').</summary>
    private static bool IsHidden(string name) => name.StartsWith('.');

    /// <summary>Reads the class folders under <paramref name="directory"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">No such folder.</exception>
    /// <exception cref="InvalidDataException">No class folders, an empty class folder, an undecodable image, images of different sizes, a
    /// class the model does not know.</exception>
    public static ArrayDataset Load(string directory, DataOptions? options = null)
    {
        options ??= new DataOptions();
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"'{directory}' does not exist.");
        CheckTakesImages(options.Spec); // before the class names, which a model of another input kind would also refuse
        var classDirs = ClassFolders(directory);
        if (classDirs.Length == 0)
            throw new InvalidDataException($"'{directory}' has no class folders; expected {directory}/<class>/<image>.png (or " +
                $"{string.Join(", ", Extensions.Skip(1))}).");
        var names = classDirs.Select(d => Path.GetFileName(d)!).ToArray();
        var spec = options.Spec;
        var classIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        IReadOnlyList<string> classNames = spec?.ClassNames ?? names;
        for (int k = 0; k < classNames.Count; k++) classIndex[classNames[k]] = k;
        var files = new List<string>();
        var targets = new List<long>();
        var unread = new List<string>(); // images of kinds ImageSharp 2.1 does not decode
        foreach (var dir in classDirs)
        {
            string name = Path.GetFileName(dir)!;
            var visible = VisibleFiles(dir);
            var images = ImageFiles(visible);
            unread.AddRange(visible.Where(f => UnreadImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())));
            if (images.Length == 0)
                throw new InvalidDataException($"class folder '{dir}' holds no images ({string.Join(", ", Extensions)}).");
            if (!classIndex.TryGetValue(name, out int k))
                throw new InvalidDataException($"class folder '{name}' is not one of {options.ClassesOwner} " +
                    $"({string.Join(", ", classNames)}).");
            files.AddRange(images);
            targets.AddRange(Enumerable.Repeat((long)k, images.Length));
        }
        WarnUnreadImages(directory, unread);
        var pixels = LoadPixels(files, options, out var shape);
        return ArrayDataset.FromPixels(pixels, shape, targets.ToArray(), classNames);
    }

    /// <summary>Extensions of images that ImageSharp 2.1 does not decode, which would otherwise be left out without a word.</summary>
    private static readonly string[] UnreadImageExtensions = [".ppm", ".pgm", ".pbm", ".heic", ".heif", ".avif"];

    /// <summary>One warning when the class folders hold images of a kind that is not read (a phone's .heic photos, say).</summary>
    private static void WarnUnreadImages(string directory, List<string> unread)
    {
        var skipped = unread.GroupBy(f => Path.GetExtension(f).ToLowerInvariant()).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Count()} {g.Key}").ToArray();
        if (skipped.Length == 0) return;
        Diagnostics.Warnings.Warn($"images.unread:{directory}",
            $"'{directory}' holds images that are not read ({string.Join(", ", skipped)}); convert them to PNG to use them. xent " +
            $"reads {string.Join(", ", Extensions)}.");
    }

    /// <summary>
    /// Decodes <paramref name="files"/> into one (N, C, H, W) float array in [0, 1] (see the class remarks for channels and size),
    /// on all cores; with a spec the channels and size are the spec's, and images are resized to it.
    /// </summary>
    public static float[] LoadImages(IReadOnlyList<string> files, DataOptions options, out int[] sampleShape)
    {
        var pixels = LoadPixels(files, options, out sampleShape);
        var inputs = new float[pixels.Length];
        new BytePipeline(new ToTensor(), [1, 1, pixels.Length]).Convert(pixels, inputs);
        return inputs;
    }

    /// <summary>
    /// <see cref="LoadImages"/> as 8-bit pixels, the floats times 255: a quarter of the memory. Each image is decoded and cut
    /// down to its channels at once, so that at most one byte per pixel and channel is held besides the result.
    /// </summary>
    internal static byte[] LoadPixels(IReadOnlyList<string> files, DataOptions options, out int[] sampleShape)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(options);
        var spec = options.Spec;
        CheckTakesImages(spec);
        (int H, int W)? size = spec is not null ? (spec.InputShape[1], spec.InputShape[2]) : options.ImageSize;
        int? specChannels = spec?.InputShape[0];
        var decoded = new DecodedImage[files.Count];
        if (files.Count == 0) throw new InvalidDataException("no images to read.");
        // A size asked for is checked before decoding: ImageSharp would fail on the first resize with an allocation error.
        // Each image is decoded as RGB first, so one image's three planes must fit an array too.
        if (size is { } target)
        {
            PixelCount(1, 3, target.H, target.W);
            PixelCount(files.Count, specChannels ?? 1, target.H, target.W);
        }
        int done = 0, step = Math.Max(1, files.Count / 100);
        var progress = options.Progress;
        try
        {
            Parallel.For(0, files.Count, i =>
            {
                decoded[i] = Decode(files[i], size, specChannels);
                if (progress is null) return;
                int d = Interlocked.Increment(ref done);
                if (d % step == 0 || d == files.Count) progress(d, files.Count);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(x =>
            x is InvalidDataException or IOException or UnauthorizedAccessException) is { } first)
        {
            // The first file that failed, as if decoding had been sequential: one clear error, not an aggregate.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        }
        int h = decoded[0].H, w = decoded[0].W;
        for (int i = 1; i < decoded.Length; i++)
            if (decoded[i].H != h || decoded[i].W != w)
                throw new InvalidDataException(
                    $"'{files[i]}' is {decoded[i].W}x{decoded[i].H} but '{files[0]}' is {w}x{h}; all images must have one size, or pass " +
                        "--image-size to resize them.");
        int channels = specChannels ?? (decoded.All(d => d.Gray) ? 1 : 3);
        int plane = h * w, sample = channels * plane;
        var pixels = new byte[PixelCount(files.Count, channels, h, w)];
        Parallel.For(0, files.Count, i =>
        {
            var src = decoded[i].Planes;
            var dst = pixels.AsSpan(checked((int)((long)i * sample)), sample);
            if (src.Length == sample) src.CopyTo(dst);
            else
                for (int c = 0; c < channels; c++) src.CopyTo(dst.Slice(c * plane, plane)); // a gray image among colour ones
            decoded[i] = default; // let the GC have it while the others are copied
        });
        sampleShape = [channels, h, w];
        return pixels;
    }

    /// <summary>How many pixel values <paramref name="images"/> images hold, refused beyond what one array holds.</summary>
    /// <exception cref="InvalidDataException">More than <see cref="Array.MaxLength"/> values.</exception>
    internal static long PixelCount(int images, int channels, int h, int w)
    {
        long total = (long)images * channels * h * w;
        if (total > Array.MaxLength)
            throw new InvalidDataException($"{(images == 1 ? "one image" : $"{images} images")} of {channels}x{h}x{w} " +
                $"{(images == 1 ? "is" : "are")} {total} values, more than the " +
                $"{Array.MaxLength} that one array holds; pass --image-size to make them smaller, or use fewer images.");
        return total;
    }

    /// <summary>
    /// One decoded image as channel planes: one plane when it is gray (R = G = B everywhere) or the model takes one channel,
    /// else three (R, G, B).
    /// </summary>
    private readonly record struct DecodedImage(byte[] Planes, int W, int H)
    {
        public bool Gray => Planes.Length == W * H;
    }

    private static byte Luminance(byte r, byte g, byte b)
    {
        var l = default(L8);
        l.FromRgb24(new Rgb24(r, g, b));
        return l.PackedValue;
    }

    private static bool IsGray(byte[] rgb)
    {
        for (int p = 0; p < rgb.Length; p += 3)
            if (rgb[p] != rgb[p + 1] || rgb[p] != rgb[p + 2]) return false;
        return true;
    }

    private static DecodedImage Decode(string file, (int H, int W)? size, int? channels)
    {
        Image<Rgb24> loaded;
        try
        {
            loaded = Image.Load<Rgb24>(file);
        }
        // ImageSharp 2.1 reports some damaged files as argument errors of its own buffers (a zero or out-of-range width)
        // or as an index out of range inside its PNG decoder (both found by tests/Xent.Tests/Fuzz): bad input, not a bug here.
        // Only the decoder is inside the try, so that such an exception from the resizing and copying below (ours) stays a bug.
        catch (Exception e) when (e is UnknownImageFormatException or InvalidImageContentException or NotSupportedException
            or ImageFormatException or ArgumentException or IndexOutOfRangeException)
        {
            // ImageSharp's message for a file it cannot identify lists every decoder it has, over several lines.
            string why = e is UnknownImageFormatException ? "its content is not a PNG, JPEG, BMP, GIF, TIFF or WebP image" : e.Message;
            throw new InvalidDataException($"cannot decode image '{file}': {why}", e);
        }
        using var image = loaded;
        if (size is { } s && (image.Width != s.W || image.Height != s.H)) image.Mutate(x => x.Resize(s.W, s.H));
        var rgb = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(rgb);
        return new DecodedImage(ToPlanes(rgb, channels), image.Width, image.Height);
    }

    /// <summary>
    /// Interleaved RGB as planes: one when <paramref name="channels"/> is 1 (gray pixels exact, a colour one ImageSharp's
    /// L8 luminance, BT.709) or when every pixel is gray and the channels are not fixed at 3, else R, G and B.
    /// </summary>
    private static byte[] ToPlanes(byte[] rgb, int? channels)
    {
        int plane = rgb.Length / 3;
        if (channels == 1 || (channels is null && IsGray(rgb)))
        {
            var gray = new byte[plane];
            for (int p = 0; p < plane; p++)
            {
                byte r = rgb[3 * p], g = rgb[3 * p + 1], b = rgb[3 * p + 2];
                gray[p] = r == g && g == b ? r : Luminance(r, g, b);
            }
            return gray;
        }
        var planes = new byte[rgb.Length];
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < plane; p++) planes[c * plane + p] = rgb[3 * p + c];
        return planes;
    }
}
