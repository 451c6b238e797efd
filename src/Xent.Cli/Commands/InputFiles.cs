using Xent.IO;

namespace Xent.Cli.Commands;

/// <summary>
/// Checks that a path the user named as an input file is one, with a message that says what it is instead; reads a checkpoint
/// after the same kind of check.
/// </summary>
internal static class InputFiles
{
    /// <summary>
    /// Throws <see cref="FileNotFoundException"/> or <see cref="IOException"/> unless <paramref name="path"/> is an existing file.
    /// </summary>
    /// <param name="path">The path given.</param>
    /// <param name="what">What the file should be, for the message ("checkpoint", "--input").</param>
    public static void RequireFile(string path, string what)
    {
        if (File.Exists(path)) return;
        if (Directory.Exists(path)) throw new IOException($"{what} '{path}' is a folder, not a file.");
        throw new FileNotFoundException($"{what} '{path}' does not exist.", path);
    }

    /// <summary>
    /// Reads a checkpoint: <see cref="RequireFile"/>, then a message that names the file's kind when it is not safetensors but a
    /// model file a user may reach for instead: the ONNX model <c>xent export</c> wrote, or a PyTorch <c>torch.save</c> pickle.
    /// Anything else is left to the safetensors reader's own checks. The file is opened once, and what is sniffed is what is
    /// parsed, so a pipe (<c>--checkpoint &lt;(cat f)</c>, <c>/dev/stdin</c>) works: a second open would miss its first bytes.
    /// </summary>
    /// <returns>Every tensor (model and optimizer state, as stored) and the metadata, its named values in the case xent writes them
    /// (<see cref="CheckpointChoices"/>).</returns>
    /// <exception cref="InvalidDataException">An ONNX model, a PyTorch pickle, or a malformed safetensors file.</exception>
    /// <exception cref="NotSupportedException">A tensor of a dtype xent does not read.</exception>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) ReadCheckpoint(string path) =>
        Read(path, fingerprint: false, out _);

    /// <summary>
    /// As <see cref="ReadCheckpoint(string)"/>, and the fingerprint of the bytes read (<see cref="FileFingerprint"/>): null for a
    /// pipe or device, whose content cannot be read again.
    /// </summary>
    /// <exception cref="InvalidDataException">An ONNX model, a PyTorch pickle, or a malformed safetensors file.</exception>
    /// <exception cref="NotSupportedException">A tensor of a dtype xent does not read.</exception>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) ReadCheckpoint(string path,
        out FileFingerprint? fingerprint) => Read(path, fingerprint: true, out fingerprint);

    private static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Read(string path, bool fingerprint,
        out FileFingerprint? read)
    {
        RequireFile(path, "checkpoint");
        using var file = BinaryFile.OpenRead(path);
        var stream = BinaryFile.Seekable(file); // a pipe is copied into memory, which the reader would do anyway
        long start = stream.Position;
        // Of the open file, the bytes then parsed: taken from the path again, a file replaced in between would pass for them.
        read = fingerprint && file.CanSeek ? FileFingerprint.Of(stream) : null;
        Span<byte> head = stackalloc byte[9];
        int n = BinaryFile.ReadUpTo(stream, head);
        stream.Position = start;
        if (!(n == head.Length && head[8] == (byte)'{')) Refuse(path, head[..n]); // a safetensors header: 8-byte length, then JSON
        var checkpoint = Checkpoint.Load(stream, path);
        CheckpointChoices.Canonicalize(checkpoint.Metadata);
        return checkpoint;
    }

    /// <summary>Throws for a checkpoint that is another kind of model file; returns for anything else.</summary>
    private static void Refuse(string path, ReadOnlySpan<byte> head)
    {
        if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"'{path}' is an ONNX model (what xent export writes for ONNX Runtime, ML.NET or Windows ML); " +
                "xent eval, predict, calibrate, export and --resume read the .safetensors checkpoint it was exported from.");
        // torch.save writes a zip archive (PK\x03\x04) since PyTorch 1.6, a bare pickle (protocol byte 0x80) before.
        bool zip = head.Length >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] == 3 && head[3] == 4;
        if (zip || head.Length >= 2 && head[0] == 0x80)
            throw new InvalidDataException($"'{path}' looks like a PyTorch torch.save file (a pickle), which xent does not read; " +
                "save the state dict with safetensors.torch.save_file(model.state_dict(), 'model.safetensors') instead.");
    }
}
