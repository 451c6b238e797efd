using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Metadata;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Xent.Diagnostics;
using Xent.IO;
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
    /// files, which are not images). A symbolic link to a folder is followed, unless it leads back to a folder it is in (a loop,
    /// such as <c>ln -s .. up</c>), which is warned about and left out.
    /// </summary>
    public static string[] ImageFiles(string directory) => ImageFiles(VisibleFiles(directory));

    private static string[] ImageFiles(IEnumerable<string> files) => files.Where(IsImageFile).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The files under <paramref name="directory"/>, recursively, but those in or under a hidden name.</summary>
    private static List<string> VisibleFiles(string directory)
    {
        var files = new List<string>();
        Walk(directory, [RealPath(directory)], files);
        return files;
    }

    /// <summary>
    /// Adds the visible files under <paramref name="dir"/> to <paramref name="files"/>; <paramref name="ancestors"/> holds the real
    /// paths of the folders being walked, <paramref name="dir"/>'s last. A link to one of them, or to a folder that holds
    /// <paramref name="dir"/> (above where the walk began), would be walked forever.
    /// </summary>
    private static void Walk(string dir, List<string> ancestors, List<string> files)
    {
        files.AddRange(Directory.EnumerateFiles(dir).Where(f => !IsHidden(Path.GetFileName(f))));
        foreach (var sub in Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal))
        {
            if (IsHidden(Path.GetFileName(sub))) continue;
            string real = new DirectoryInfo(sub).LinkTarget is null
                ? Path.Combine(ancestors[^1], Path.GetFileName(sub)) : RealPath(sub);
            if (ancestors.Contains(real) || IsWithin(ancestors[^1], real))
            {
                Diagnostics.Warnings.Warn($"images.loop:{sub}",
                    $"'{sub}' is a link to '{real}', a folder it is in; it is not followed (it would repeat the same images " +
                        "forever).");
                continue;
            }
            ancestors.Add(real);
            Walk(sub, ancestors, files);
            ancestors.RemoveAt(ancestors.Count - 1);
        }
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> or under it (both real, absolute paths).</summary>
    private static bool IsWithin(string path, string folder) =>
        path == folder || path.StartsWith(Path.EndsInDirectorySeparator(folder) ? folder : folder + Path.DirectorySeparatorChar,
            StringComparison.Ordinal);

    /// <summary><paramref name="path"/> as an absolute path without symbolic links (<see cref="LinkWalk"/>).</summary>
    /// <exception cref="IOException">More than 40 links in one path (a loop of links themselves).</exception>
    private static string RealPath(string path)
    {
        var walk = LinkWalk.Of(Path.GetFullPath(path));
        return walk.Loop ? throw new IOException($"'{path}' goes through too many symbolic links (a loop of links).") : walk.Path;
    }

    /// <summary>
    /// The image files of the class folders under <paramref name="directory"/> in the order <see cref="Load(string, DataOptions?)"/>
    /// reads them as samples, without decoding any: <c>split.csv</c>'s rows name them.
    /// </summary>
    internal static string[] SampleFiles(string directory) => [.. ClassFolders(directory).SelectMany(ImageFiles)];

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
    /// class the model does not know, or splits (<c>train/</c>, <c>test/</c>) instead of class folders.</exception>
    public static ArrayDataset Load(string directory, DataOptions? options = null) => Load(directory, options, out _);

    /// <summary><see cref="Load(string, DataOptions?)"/>, also giving the image files in sample order.</summary>
    internal static ArrayDataset Load(string directory, DataOptions? options, out string[] files)
    {
        options ??= new DataOptions();
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"'{directory}' does not exist.");
        CheckTakesImages(options.Spec); // before the class names, which a model of another input kind would also refuse
        var classDirs = ClassFolders(directory);
        if (classDirs.Length == 0)
            throw new InvalidDataException($"'{directory}' has no class folders; expected {directory}/<class>/<image>.png (or " +
                $"{string.Join(", ", Extensions.Skip(1))}).");
        RefuseSplits(directory, classDirs, options.Spec is not null, options);
        var names = classDirs.Select(d => Path.GetFileName(d)!).ToArray();
        var spec = options.Spec;
        var classIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        IReadOnlyList<string> classNames = spec?.ClassNames ?? names;
        for (int k = 0; k < classNames.Count; k++) classIndex[classNames[k]] = k;
        var all = new List<string>();
        var targets = new List<long>();
        var unread = new List<string>(); // images of kinds ImageSharp 2.1 does not decode
        foreach (var dir in classDirs)
        {
            string name = Path.GetFileName(dir)!;
            var visible = VisibleFiles(dir);
            var images = ImageFiles(visible);
            var unreadHere = visible.Where(f => UnreadImageExtensions.Contains(Path.GetExtension(f).ToLowerInvariant())).ToArray();
            unread.AddRange(unreadHere);
            if (images.Length == 0)
                throw new InvalidDataException(unreadHere.Length == 0
                    ? $"class folder '{dir}' holds no images ({string.Join(", ", Extensions)})."
                    : $"class folder '{dir}' holds no images that xent reads, only {CountByExtension(unreadHere)}; convert them to " +
                        $"PNG (xent reads {string.Join(", ", Extensions)}).");
            if (!classIndex.TryGetValue(name, out int k))
                throw new InvalidDataException($"class folder '{name}' is not one of {options.ClassesOwner} " +
                    $"({string.Join(", ", classNames)}).");
            all.AddRange(images);
            targets.AddRange(Enumerable.Repeat((long)k, images.Length));
        }
        WarnUnreadImages(directory, unread);
        files = [.. all];
        var pixels = LoadPixels(files, options, out var shape);
        return ArrayDataset.FromPixels(pixels, shape, targets.ToArray(), classNames);
    }

    /// <summary>Folder names that mean a split of a data set rather than a class (lower case).</summary>
    private static readonly string[] SplitNames = ["train", "training", "test", "testing", "val", "valid", "validation", "dev", "eval"];

    /// <summary>
    /// Refuses <c>data/{train,test}/&lt;class&gt;/</c> given as <c>--data data</c>: every "class" folder is named as a split and holds
    /// only folders, so the classes would be the splits. The message says which folders to pass instead.
    /// </summary>
    private static void RefuseSplits(string directory, string[] classDirs, bool evaluating, DataOptions options)
    {
        var splits = classDirs.Select(d => Path.GetFileName(d)!).ToArray();
        if (!splits.All(n => SplitNames.Contains(n.ToLowerInvariant()))
            || !classDirs.All(d => ClassFolders(d).Length > 0 && !Directory.EnumerateFiles(d).Any(IsImageFile)))
            return;
        string? Find(params string[] kinds) => classDirs.FirstOrDefault(d => kinds.Contains(Path.GetFileName(d)!.ToLowerInvariant()));
        string? train = Find("train", "training"), test = Find("test", "testing") ?? Find("val", "valid", "validation", "dev", "eval");
        // Without a training split the folder given may be --data or --test-data: name the folder, not the option. A library
        // user loads each folder on its own.
        string use = !options.CommandLine ? $"'{(evaluating ? test : train) ?? test ?? classDirs[0]}'"
            + (!evaluating && train is not null && test is not null ? $" (and '{test}' to test on)" : "")
            : evaluating ? $"--data {test ?? classDirs[0]}"
            : train is null ? $"'{test ?? classDirs[0]}'" : $"--data {train}" + (test is null ? "" : $" --test-data {test}");
        string inner = string.Join(", ", ClassFolders(classDirs[0]).Select(Path.GetFileName).Take(5));
        throw new InvalidDataException($"'{directory}' holds the splits {string.Join(", ", splits)} rather than class folders (" +
            $"'{classDirs[0]}' holds {inner}): this looks like a split, so pass one split folder, such as {use}.");
    }

    /// <summary>Files counted by extension, such as "3 .heic, 1 .ppm".</summary>
    private static string CountByExtension(IEnumerable<string> files) =>
        string.Join(", ", files.GroupBy(f => Path.GetExtension(f).ToLowerInvariant()).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Count()} {g.Key}"));

    /// <summary>Extensions of images that ImageSharp 2.1 does not decode, which would otherwise be left out without a word.</summary>
    private static readonly string[] UnreadImageExtensions = [".ppm", ".pgm", ".pbm", ".heic", ".heif", ".avif"];

    /// <summary>One warning when the class folders hold images of a kind that is not read (a phone's .heic photos, say).</summary>
    private static void WarnUnreadImages(string directory, List<string> unread)
    {
        if (unread.Count == 0) return;
        Diagnostics.Warnings.Warn($"images.unread:{directory}",
            $"'{directory}' holds images that are not read ({CountByExtension(unread)}); convert them to PNG to use them. xent " +
            $"reads {string.Join(", ", Extensions)}.");
    }

    /// <summary>
    /// Decodes <paramref name="files"/> into one (N, C, H, W) float array in [0, 1] (see the class remarks for channels and size),
    /// on all cores; with a spec the channels and size are the spec's, and images are resized to it.
    /// </summary>
    /// <exception cref="InvalidDataException">No files, an image that does not decode or is cut short (naming the first such file
    /// in list order), one of more than 178,956,970 pixels, images of different sizes without a target size, or a spec that does
    /// not take images.</exception>
    /// <exception cref="IOException">A file that cannot be read (<see cref="FileNotFoundException"/> when it does not exist).</exception>
    public static float[] LoadImages(IReadOnlyList<string> files, DataOptions options, out int[] sampleShape)
    {
        var pixels = LoadPixels(files, options, out sampleShape);
        var inputs = new float[pixels.Length];
        new BytePipeline(new ToTensor(), [1, 1, pixels.Length]).Convert(pixels, inputs);
        return inputs;
    }

    /// <summary>
    /// <see cref="LoadImages"/> as 8-bit pixels, the floats times 255: a quarter of the memory. Each image is decoded and cut
    /// down to its channels at once, so that at most one byte per pixel and channel is held besides the result. Sizes are read
    /// from the files' headers before anything is decoded: an image over <see cref="MaxPixels"/>, or (without a target size)
    /// one of another size than the first, is refused before its pixels take memory.
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
        (int H, int W)? first = null; // without a target size, every image must have the first one's
        if (size is { } target)
        {
            PixelCount(1, 3, target.H, target.W, options.CommandLine);
            PixelCount(files.Count, specChannels ?? 1, target.H, target.W, options.CommandLine);
        }
        else if ((first = Identify(files[0])) is { } f)
            PixelCount(files.Count, 1, f.H, f.W, options.CommandLine); // all of the first one's size: refused now, not after decoding
        if ((size ?? first) is { } known) options.CheckImageSize?.Invoke(known.H, known.W);
        int done = 0, step = Math.Max(1, files.Count / 100);
        var progress = options.Progress;
        // A refused file (bad input) is kept by index and breaks the loop: every file before it is still read, so the error is
        // the first file's that fails, as if decoding were sequential. Anything else is a bug and leaves the loop as it is.
        var refused = new Exception?[files.Count];
        var budget = options.DecodeBudget ?? DecodeBudget;
        Parallel.For(0, files.Count, (i, loop) =>
        {
            try
            {
                decoded[i] = Decode(files[i], size, specChannels, first is null ? null : (first.Value, files[0]), budget, options);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                refused[i] = e;
                loop.Break();
                return;
            }
            if (progress is null) return;
            int d = Interlocked.Increment(ref done);
            if (d % step == 0 || d == files.Count) progress(d, files.Count);
        });
        if (refused.FirstOrDefault(e => e is not null) is { } firstError)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(firstError).Throw();
        int h = decoded[0].H, w = decoded[0].W;
        for (int i = 1; i < decoded.Length; i++)
            if (decoded[i].H != h || decoded[i].W != w)
                throw SizeMismatch(files[i], (decoded[i].H, decoded[i].W), files[0], (h, w), options);
        int channels = specChannels ?? (decoded.All(d => d.Gray) ? 1 : 3);
        var pixels = new byte[PixelCount(files.Count, channels, h, w, options.CommandLine)];
        int plane = h * w, sample = channels * plane; // both fit: PixelCount allows at most Array.MaxLength values
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

    /// <summary>An image's size as <c>--image-size</c> takes it, saying which number is which: "12x20 (height x width)".</summary>
    internal static string SizeText(int height, int width) => $"{height}x{width} (height x width)";

    private static InvalidDataException SizeMismatch(string file, (int H, int W) size, string first, (int H, int W) firstSize,
        DataOptions options) =>
        new($"'{file}' is {size.H}x{size.W} but '{first}' is {SizeText(firstSize.H, firstSize.W)}; all images must have one size, or " +
            options.Advice("pass --image-size HxW", "set DataOptions.ImageSize") + " to resize them.");

    /// <summary>How many pixel values <paramref name="images"/> images hold, refused beyond what one array holds.</summary>
    /// <exception cref="InvalidDataException">More than <see cref="Array.MaxLength"/> values.</exception>
    internal static long PixelCount(int images, int channels, int h, int w, bool commandLine = false)
    {
        // Int128: four ints multiply to at most 2^124, where a long would wrap around and pass the check.
        Int128 total = (Int128)images * channels * h * w;
        if (total > Array.MaxLength)
            throw new InvalidDataException($"{(images == 1 ? "one image" : $"{images} images")} of {channels}x{h}x{w} (channels x " +
                $"height x width) {(images == 1 ? "is" : "are")} {total} values, more than the " +
                $"{Array.MaxLength} that one array holds; {(commandLine ? "pass --image-size" : "set DataOptions.ImageSize")} to make " +
                "them smaller, or use fewer images.");
        return (long)total;
    }

    /// <summary>
    /// The most pixels an image may have, PIL's decompression-bomb limit (<c>2 * Image.MAX_IMAGE_PIXELS</c>, where PIL, and so
    /// torchvision's <c>ImageFolder</c>, refuses an image): decoded as RGB it takes 537 MB, and more is a scan or a hostile
    /// file rather than a photo to train on.
    /// </summary>
    internal const long MaxPixels = 178_956_970;

    /// <summary>Refuses an image of more than <see cref="MaxPixels"/> pixels, naming it and its size.</summary>
    private static void CheckPixels(string file, int height, int width)
    {
        long pixels = (long)height * width;
        if (pixels > MaxPixels)
            throw new InvalidDataException($"'{file}' is {SizeText(height, width)}, {pixels} pixels, more than the {MaxPixels} an " +
                "image may have (PIL's limit): downscale it with an image tool first (an image is decoded at full size before any " +
                "resizing).");
    }

    /// <summary>
    /// One decoded image as channel planes: one plane when it is gray (R = G = B everywhere) or the model takes one channel,
    /// else three (R, G, B).
    /// </summary>
    private readonly record struct DecodedImage(byte[] Planes, int W, int H)
    {
        public bool Gray => Planes.Length == (long)W * H;
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

    /// <summary>
    /// The file opened for reading; a broken symbolic link is named as one (.NET says only "Could not find file"), and a pipe is
    /// refused in words: an image is read more than once (its header, its length for the truncation check, then its pixels).
    /// </summary>
    private static FileStream OpenImage(string file)
    {
        FileStream stream;
        try
        {
            stream = FileReading.OpenRead(file);
        }
        catch (FileNotFoundException e) when (new FileInfo(file).LinkTarget is { } target)
        {
            throw new InvalidDataException($"'{file}' is a symbolic link to '{target}', which does not exist; remove the link or " +
                "restore its target.", e);
        }
        // A pipe (a link to /dev/stdin fed by `cat … |`, a FIFO) gives its bytes once and has no length: the truncation check's
        // length failed with .NET's "Stream does not support seeking.", reported as a bug in xent. Refused as a CSV pipe is, rather
        // than read into memory, which nothing would bound.
        if (!stream.CanSeek)
        {
            stream.Dispose();
            throw PipeInput.ReadTwice(file, "an image file", "its header, then its pixels", "image.png");
        }
        return stream;
    }

    /// <summary>
    /// ImageSharp's decoders, with GIF and TIFF decoding their first frame only, as PIL (and so torchvision's ImageFolder) reads
    /// an animated GIF or a multi-page TIFF: every frame would take memory beyond the pixel limit the header is checked against,
    /// and a damaged later frame would refuse an image whose first frame is fine.
    /// </summary>
    private static readonly Configuration s_firstFrame = FirstFrameConfiguration();

    private static Configuration FirstFrameConfiguration()
    {
        var configuration = Configuration.Default.Clone();
        configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { DecodingMode = FrameDecodingMode.First });
        configuration.ImageFormatsManager.SetDecoder(TiffFormat.Instance, new TiffDecoder { DecodingMode = FrameDecodingMode.First });
        return configuration;
    }

    /// <summary><paramref name="file"/>'s size from its header alone, or null when ImageSharp does not recognise it.</summary>
    private static (int H, int W)? Identify(string file)
    {
        using var stream = OpenImage(file);
        return Identify(stream, file, out _);
    }

    /// <summary>
    /// The image's size from its header, refused over <see cref="MaxPixels"/>; null for an unknown format. <paramref name="sixteen"/>
    /// says how PIL makes bytes of a 16-bit PNG's samples (<see cref="SixteenBitPng"/>).
    /// </summary>
    private static (int H, int W)? Identify(Stream stream, string file, out SixteenBitPng.Reduction sixteen)
    {
        sixteen = SixteenBitPng.Reduction.None;
        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(s_firstFrame, stream, out format);
        }
        catch (Exception e) when (IsDecoderError(e))
        {
            throw CannotDecode(file, e);
        }
        if (info is null || format is null) return null;
        if (info.Height < 1 || info.Width < 1) // ImageSharp would refuse it later, in the words of its argument checks
            throw new InvalidDataException($"cannot decode image '{file}': its header gives a size of " +
                $"{SizeText(info.Height, info.Width)}, an image without pixels.");
        CheckPixels(file, info.Height, info.Width);
        if (ImageTruncation.Problem(stream, format) is { } truncated)
            throw new InvalidDataException($"cannot decode image '{file}': {truncated}.");
        sixteen = SixteenBitPng.Of(info, format);
        return (info.Height, info.Width);
    }

    /// <summary>
    /// Whether <paramref name="e"/>, raised inside one of ImageSharp's decode or identify calls, means a damaged file: anything but
    /// running out of memory. ImageSharp 2.1's decoders do not check all input: besides their own format exceptions, a damaged
    /// file makes them throw argument errors of their buffers (a zero width) or of the stream (a seek to a negative offset),
    /// IndexOutOfRange, NullReference (JPEG, BMP without a palette), DivideByZero (BMP of 0 bits per pixel), InvalidOperation (a
    /// TIFF cut after its header: "Sequence contains no elements"; a BMP over 65535 pixels wide) and zlib's InvalidDataException
    /// (tests/Xent.Tests/Fuzz finds each). Only the ImageSharp call is inside the try, and it runs none of our code.
    /// </summary>
    private static bool IsDecoderError(Exception e) => e is not OutOfMemoryException;

    private static InvalidDataException CannotDecode(string file, Exception e)
    {
        string why = e switch
        {
            // ImageSharp's message for a file it cannot identify lists every decoder it has, over several lines.
            UnknownImageFormatException => "its content is not a PNG, JPEG, BMP, GIF, TIFF or WebP image",
            // ImageSharp's own refusals ("CRC Error. PNG IHDR chunk is corrupt!", "The input bmp '131080x8' is bigger then the
            // max allowed size") and zlib's say what is wrong.
            ImageFormatException or NotSupportedException or InvalidDataException => Excerpt.OfMessage(e.Message),
            // The file could not be read (a disk error) rather than decoded.
            IOException and not EndOfStreamException => Excerpt.OfMessage(e.Message),
            InvalidOperationException when e.Source == typeof(Image).Assembly.GetName().Name => Excerpt.OfMessage(e.Message),
            // The decoder tripped over data it does not check (a NullReferenceException, LINQ's "Sequence contains no elements",
            // an argument check of its buffers): that text would not help; --verbose shows it. Some valid files do this too (PIL's
            // 1-bit TIFF).
            _ => "ImageSharp's decoder failed on it: the file is damaged or cut short, or a variant of its format that ImageSharp " +
                "does not read (convert it to PNG)",
        };
        return new InvalidDataException($"cannot decode image '{file}': {why}", e);
    }

    /// <summary>
    /// Decodes <paramref name="file"/> (resized to <paramref name="size"/> when given) into planes. Its header is read first, so that
    /// an image too large (<see cref="MaxPixels"/>), or not <paramref name="expected"/>'s size, is refused before it is decoded.
    /// </summary>
    private static DecodedImage Decode(string file, (int H, int W)? size, int? channels, ((int H, int W) Size, string File)? expected,
        PixelBudget budget, DataOptions options)
    {
        using var stream = OpenImage(file);
        var header = Identify(stream, file, out var sixteen);
        if (header is { } found && expected is { } first && found != first.Size)
            throw SizeMismatch(file, found, first.File, first.Size, options);
        long taken = budget.Take(header is { } h ? (long)h.H * h.W : 0); // waits while other decodes hold too many pixels
        try
        {
            stream.Position = 0;
            Image<Rgb24>? loaded = null;
            Image<Rgba64>? wide = null; // a 16-bit PNG, made bytes below as PIL makes them
            try
            {
                if (sixteen == SixteenBitPng.Reduction.None) loaded = Image.Load<Rgb24>(s_firstFrame, stream);
                else wide = Image.Load<Rgba64>(s_firstFrame, stream); // every sample as it is
            }
            // Only the decoder is inside the try, so that such an exception from the resizing and copying below (ours) stays a bug.
            catch (Exception e) when (IsDecoderError(e))
            {
                throw CannotDecode(file, e);
            }
            if (wide is not null) using (wide) loaded = SixteenBitPng.Reduce(wide, sixteen);
            using var image = loaded!;
            CheckPixels(file, image.Height, image.Width); // in case the header said less than the decoder made
            if (size is { } s && (image.Width != s.W || image.Height != s.H)) image.Mutate(x => x.Resize(s.W, s.H));
            // At most MaxPixels (checked above) or a target size that PixelCount allowed: the product fits an int.
            var rgb = new byte[checked(image.Width * image.Height * 3)];
            image.CopyPixelDataTo(rgb);
            return new DecodedImage(ToPlanes(rgb, channels), image.Width, image.Height);
        }
        finally
        {
            budget.Give(taken);
        }
    }

    /// <summary>
    /// The pixels decoded at once, by every thread and every read together: one image at the pixel limit (537 MB as RGB). A
    /// folder of large images (each under the limit, a 93-byte PNG can declare 13000x13000) then takes the memory of about one
    /// at a time, not one per core; small ones still decode in parallel.
    /// </summary>
    internal static PixelBudget DecodeBudget { get; } = new(MaxPixels);

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
